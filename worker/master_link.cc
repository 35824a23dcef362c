#include "worker/master_link.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/rpc.h"

namespace spate::worker {

Result<std::vector<std::string>> ParseMasterUrls(std::string_view url) {
  constexpr std::string_view kScheme = "spate://";
  if (url.substr(0, kScheme.size()) == kScheme) url.remove_prefix(kScheme.size());
  std::vector<std::string> out;
  while (true) {
    size_t comma = url.find(',');
    SPATE_ASSIGN_OR_RETURN(std::string address, ParseMasterUrl(url.substr(0, comma)));
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
    if (comma == std::string_view::npos) break;
    url.remove_prefix(comma + 1);
  }
  return out;
}

MasterLink::MasterLink(std::vector<std::string> addresses)
    : addresses_(std::move(addresses)), current_(addresses_.empty() ? "" : addresses_[0]) {}

std::string MasterLink::address() {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

proto::Master::Stub* MasterLink::stub() {
  std::lock_guard<std::mutex> lock(mu_);
  return StubLocked(current_);
}

std::string MasterLink::list() const {
  std::string out;
  for (const auto& a : addresses_) out += (out.empty() ? "" : ",") + a;
  return out;
}

proto::Master::Stub* MasterLink::StubLocked(const std::string& address) {
  auto& stub = stubs_[address];
  if (!stub) stub = proto::Master::NewStub(MakeChannel(address));
  return stub.get();
}

bool MasterLink::Failover(std::chrono::milliseconds timeout) {
  if (addresses_.size() < 2) return false;
  std::string current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current = current_;
  }
  std::string leader, named;
  for (const auto& a : addresses_) {
    proto::Master::Stub* stub;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stub = StubLocked(a);
    }
    proto::LeaderReply reply;
    auto ctx = MakeContext(timeout);
    if (!stub->Leader(ctx.get(), proto::LeaderRequest(), &reply).ok()) continue;
    if (reply.is_leader()) {
      leader = a;
      break;
    }
    if (named.empty() && !reply.leader_address().empty()) named = reply.leader_address();
  }
  // The leader itself, else the one a standby names (elected, maybe not serving yet), else
  // the next master in the list.
  std::string next = !leader.empty() ? leader : named;
  if (next.empty()) {
    auto it = std::find(addresses_.begin(), addresses_.end(), current);
    next = it == addresses_.end() || it + 1 == addresses_.end() ? addresses_[0] : *(it + 1);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (next == current_) return false;
  spdlog::info("master {} does not lead; going to {}{}", current_, next,
               leader.empty() ? "" : " (the leader)");
  current_ = next;
  return true;
}

}  // namespace spate::worker
