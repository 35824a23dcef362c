#include "worker/shuffle_codec.h"

#include "common/varint.h"

namespace spate::worker {
void AppendEntry(const ShuffleEntry& e, std::string* out) {
  PutVarint(e.key_group, out);
  PutVarint(ZigZag(e.window_start_ms), out);
  PutVarint(e.key.size(), out);
  out->append(e.key);
  PutVarint(ZigZag(e.count), out);
}

bool ShuffleDecoder::Next(ShuffleEntry* e) {
  if (pos_ >= data_.size()) return false;
  uint64_t kg, ws, len, count;
  if (!GetVarint(data_, &pos_, &kg) || !GetVarint(data_, &pos_, &ws) ||
      !GetVarint(data_, &pos_, &len) || len > data_.size() - pos_) {
    corrupt_ = true;
    return false;
  }
  e->key_group = static_cast<uint32_t>(kg);
  e->window_start_ms = UnZigZag(ws);
  e->key = data_.substr(pos_, len);
  pos_ += len;
  if (!GetVarint(data_, &pos_, &count)) {
    corrupt_ = true;
    return false;
  }
  e->count = UnZigZag(count);
  return true;
}

}  // namespace spate::worker
