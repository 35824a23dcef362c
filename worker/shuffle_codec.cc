#include "worker/shuffle_codec.h"

namespace spate::worker {
namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view data, size_t* pos, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && *pos < data.size(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>(data[(*pos)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

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
