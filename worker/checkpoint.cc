#include "worker/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cinttypes>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <tuple>

#include "common/record_file.h"
#include "proto/spate.pb.h"

namespace spate::worker {
namespace {

namespace fs = std::filesystem;
constexpr char kMagic[8] = {'S', 'P', 'A', 'T', 'E', 'C', 'K', '1'};

struct FileName {
  bool snapshot = false;
  int64_t batch = 0;
  int32_t attempt = 0;
  KeyGroupRange range;
};

std::string NameOf(bool snapshot, int64_t batch, int32_t attempt, KeyGroupRange range) {
  char buf[112];
  std::snprintf(buf, sizeof(buf), "%s-%012" PRId64 "-a%d-%u-%u.bin", snapshot ? "snap" : "delta",
                batch, attempt, range.begin, range.end);
  return buf;
}

bool ParseName(const std::string& name, FileName* out) {
  char kind[8] = {0};
  long long batch = 0;
  int attempt = 0;
  unsigned begin = 0, end = 0;
  if (std::sscanf(name.c_str(), "%5[a-z]-%lld-a%d-%u-%u.bin", kind, &batch, &attempt, &begin,
                  &end) != 5) {
    return false;
  }
  if (std::strcmp(kind, "snap") != 0 && std::strcmp(kind, "delta") != 0) return false;
  if (name != NameOf(kind[0] == 's', batch, attempt, {begin, end})) return false;
  out->snapshot = kind[0] == 's';
  out->batch = batch;
  out->attempt = attempt;
  out->range = {begin, end};
  return true;
}

bool Intersects(KeyGroupRange a, KeyGroupRange b) { return a.begin < b.end && b.begin < a.end; }
bool Covers(KeyGroupRange outer, KeyGroupRange inner) {
  return outer.begin <= inner.begin && inner.end <= outer.end;
}

Result<std::string> ReadPayload(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read checkpoint file " + path);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr size_t kHeader = 8 + 8 + 8;
  if (data.size() < kHeader || std::memcmp(data.data(), kMagic, 8) != 0) {
    return Status::Corruption("not a Spate checkpoint file: " + path);
  }
  uint64_t len = 0, hash = 0;
  std::memcpy(&len, data.data() + 8, 8);
  std::memcpy(&hash, data.data() + 16, 8);
  if (data.size() != kHeader + len || XXH64(data.data() + kHeader, len, 0) != hash) {
    return Status::Corruption("checkpoint file is truncated or corrupt: " + path);
  }
  return data.substr(kHeader);
}

}  // namespace

bool StateCheckpoint::Committed(int64_t batch, int32_t attempt,
                                std::map<int64_t, int32_t>* cache) const {
  if (commits_dir_.empty()) return true;
  auto it = cache->find(batch);
  if (it == cache->end()) {
    char name[32];
    std::snprintf(name, sizeof(name), "%012" PRId64, batch);
    auto file = ReadRecordFile(commits_dir_ + "/" + name);
    proto::BatchCommit commit;
    // Without a readable commit record there is nothing to fence with: take every attempt.
    const int32_t committed =
        file.ok() && commit.ParseFromString(file->payload) && commit.batch_id() == batch
            ? commit.attempt()
            : -1;
    it = cache->emplace(batch, committed).first;
  }
  return it->second < 0 || it->second == attempt;
}

Status StateCheckpoint::WriteFile(const std::string& name, const std::string& payload) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Status::IOError("cannot create checkpoint dir " + dir_ + ": " + ec.message());
  std::string header(kMagic, 8);
  uint64_t len = payload.size();
  uint64_t hash = XXH64(payload.data(), payload.size(), 0);
  header.append(reinterpret_cast<const char*>(&len), 8);
  header.append(reinterpret_cast<const char*>(&hash), 8);
  std::string tmp = dir_ + "/." + name + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
  bool ok = true;
  for (const std::string* part : std::initializer_list<const std::string*>{&header, &payload}) {
    size_t off = 0;
    while (ok && off < part->size()) {
      ssize_t n = ::write(fd, part->data() + off, part->size() - off);
      if (n < 0)
        ok = false;
      else
        off += static_cast<size_t>(n);
    }
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), (dir_ + "/" + name).c_str()) != 0) {
    return Status::IOError("cannot write checkpoint " + dir_ + "/" + name + ": " +
                           std::strerror(errno));
  }
  return Status::OK();
}

Status StateCheckpoint::WriteDelta(int64_t batch, int32_t attempt, KeyGroupRange range,
                                   const std::vector<ShuffleEntry>& entries) {
  if (entries.empty()) return Status::OK();  // closings follow from the watermark
  std::string payload;
  for (const auto& e : entries) AppendEntry(e, &payload);
  return WriteFile(NameOf(false, batch, attempt, range), payload);
}

Status StateCheckpoint::WriteSnapshot(int64_t batch, int32_t attempt, KeyGroupRange range,
                                      const std::vector<OwnedEntry>& state) {
  std::string payload;
  for (const auto& e : state) {
    AppendEntry({e.key_group, e.window_start_ms, e.key, e.count}, &payload);
  }
  return WritePayload(true, batch, attempt, range, payload);
}

Status StateCheckpoint::WritePayload(bool snapshot, int64_t batch, int32_t attempt,
                                     KeyGroupRange range, const std::string& payload) {
  SPATE_RETURN_IF_ERROR(WriteFile(NameOf(snapshot, batch, attempt, range), payload));
  if (!snapshot) return Status::OK();
  // Keep everything from the previous snapshot of this range on: a replay restores at most one
  // batch back, and the batch before this one has committed.
  std::error_code ec;
  int64_t previous = -1;
  std::map<int64_t, int32_t> committed;
  std::vector<std::pair<FileName, fs::path>> files;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    FileName f;
    if (!ParseName(entry.path().filename().string(), &f)) continue;
    if (!Covers(range, f.range)) continue;
    if (f.snapshot && f.batch < batch && Covers(f.range, range) &&
        Committed(f.batch, f.attempt, &committed))
      previous = std::max(previous, f.batch);
    files.emplace_back(f, entry.path());
  }
  if (previous < 0) return Status::OK();
  for (const auto& [f, path] : files) {
    if (f.batch < previous) fs::remove(path, ec);
  }
  return Status::OK();
}

Status StateCheckpoint::ReadFiles(KeyGroupRange range, int64_t version, std::vector<File>* files,
                                  std::vector<int64_t>* snapshot_of) const {
  files->clear();
  snapshot_of->assign(range.size(), -1);
  if (version < 0 || range.size() == 0) return Status::OK();
  // A committed version always has files (see Load in the header): none is a checkpoint this
  // worker cannot see, and restoring empty state would silently lose the range's state.
  const std::string what = "state of key groups " + std::to_string(range.begin) + "-" +
                           std::to_string(range.end - 1) + " at batch " + std::to_string(version);
  std::error_code ec;
  if (!fs::exists(dir_, ec)) {
    if (ec) return Status::IOError("cannot read checkpoint dir " + dir_ + ": " + ec.message());
    return Status::FailedPrecondition("cannot restore " + what + ": checkpoint dir " + dir_ +
                                      " does not exist on this worker (is --checkpoint-dir on "
                                      "storage every worker shares?)");
  }
  std::map<int64_t, int32_t> committed;
  std::vector<std::pair<FileName, std::string>> found;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    FileName f;
    if (!ParseName(entry.path().filename().string(), &f)) continue;
    if (f.batch > version || !Intersects(f.range, range)) continue;
    if (!Committed(f.batch, f.attempt, &committed)) continue;  // an abandoned attempt's
    found.emplace_back(f, entry.path().string());
  }
  if (ec) return Status::IOError("cannot list checkpoint dir " + dir_ + ": " + ec.message());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first.batch != b.first.batch ? a.first.batch < b.first.batch
                                          : a.first.snapshot > b.first.snapshot;
  });
  for (const auto& [f, path] : found) {
    if (!f.snapshot) continue;
    for (uint32_t kg = std::max(f.range.begin, range.begin); kg < std::min(f.range.end, range.end);
         ++kg) {
      (*snapshot_of)[kg - range.begin] = std::max((*snapshot_of)[kg - range.begin], f.batch);
    }
  }
  for (uint32_t kg = range.begin; kg < range.end; ++kg) {
    if ((*snapshot_of)[kg - range.begin] < 0) {
      return Status::FailedPrecondition("cannot restore " + what + ": " + dir_ +
                                        " has no snapshot of key group " + std::to_string(kg) +
                                        " at or before it (its files are missing)");
    }
  }
  for (const auto& [f, path] : found) {
    SPATE_ASSIGN_OR_RETURN(std::string payload, ReadPayload(path));
    files->push_back({f.snapshot, f.batch, f.attempt, f.range, std::move(payload)});
  }
  return Status::OK();
}

Result<std::vector<OwnedEntry>> StateCheckpoint::Load(KeyGroupRange range, int64_t version,
                                                      int64_t watermark_ms,
                                                      int64_t window_ms) const {
  std::vector<OwnedEntry> out;
  std::vector<File> files;
  std::vector<int64_t> snap;
  SPATE_RETURN_IF_ERROR(ReadFiles(range, version, &files, &snap));
  std::map<std::tuple<uint32_t, int64_t, std::string>, int64_t> sum;
  for (const auto& f : files) {
    ShuffleDecoder decoder(f.payload);
    ShuffleEntry e;
    while (decoder.Next(&e)) {
      if (!range.Contains(e.key_group)) continue;
      int64_t s = snap[e.key_group - range.begin];
      bool use = f.snapshot ? f.batch == s : f.batch > s;
      if (use) sum[{e.key_group, e.window_start_ms, std::string(e.key)}] += e.count;
    }
    if (decoder.corrupt()) {
      return Status::Corruption("corrupt entries in checkpoint file of batch " +
                                std::to_string(f.batch) + " in " + dir_);
    }
  }
  for (auto& [k, count] : sum) {
    const auto& [kg, ws, key] = k;
    int64_t end = ws > INT64_MAX - window_ms ? INT64_MAX : ws + window_ms;
    if (end <= watermark_ms) continue;  // closed (and emitted) by `version`
    out.push_back({kg, ws, key, count});
  }
  return out;
}

Status StateCheckpoint::DiscardAfter(int64_t version) {
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return Status::OK();
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    FileName f;
    if (ParseName(entry.path().filename().string(), &f) && f.batch > version) {
      fs::remove(entry.path(), ec);
      if (ec)
        return Status::IOError("cannot remove " + entry.path().string() + ": " + ec.message());
    }
  }
  return Status::OK();
}

}  // namespace spate::worker
