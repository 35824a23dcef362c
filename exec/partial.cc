#include "exec/partial.h"

#include <vector>

#include "common/varint.h"

namespace spate::exec {
void AppendPartial(const PartialEntry& e, std::string* out) {
  PutVarint(e.key_group, out);
  PutVarint(ZigZag(e.window_start_ms), out);
  PutVarint(static_cast<uint64_t>(e.window_end_ms) - static_cast<uint64_t>(e.window_start_ms), out);
  PutVarint(e.key.size(), out);
  out->append(e.key);
  PutVarint(e.state.size(), out);
  out->append(e.state);
}

bool PartialDecoder::Next(PartialEntry* e) {
  if (pos_ >= data_.size()) return false;
  uint64_t kg, ws, len, klen, slen;
  if (!GetVarint(data_, &pos_, &kg) || kg > UINT32_MAX || !GetVarint(data_, &pos_, &ws) ||
      !GetVarint(data_, &pos_, &len) || !GetVarint(data_, &pos_, &klen) ||
      klen > data_.size() - pos_) {
    corrupt_ = true;
    return false;
  }
  e->key_group = static_cast<uint32_t>(kg);
  e->window_start_ms = UnZigZag(ws);
  e->window_end_ms = static_cast<int64_t>(static_cast<uint64_t>(e->window_start_ms) + len);
  e->key = data_.substr(pos_, klen);
  pos_ += klen;
  if (!GetVarint(data_, &pos_, &slen) || slen > data_.size() - pos_) {
    corrupt_ = true;
    return false;
  }
  e->state = data_.substr(pos_, slen);
  pos_ += slen;
  return true;
}

std::vector<std::string> SplitPartials(std::string data, size_t max_bytes) {
  std::vector<std::string> out;
  if (data.size() <= max_bytes) {
    out.push_back(std::move(data));
    return out;
  }
  PartialDecoder decoder(data);
  PartialEntry e;
  std::string entry;
  out.emplace_back();
  while (decoder.Next(&e)) {
    entry.clear();
    AppendPartial(e, &entry);
    if (!out.back().empty() && out.back().size() + entry.size() > max_bytes) out.emplace_back();
    out.back() += entry;
  }
  return out;
}

}  // namespace spate::exec
