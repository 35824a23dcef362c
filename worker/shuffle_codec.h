// Compact encoding of pre-aggregated shuffle entries: (key group, window start, key, count).
// Varints with zig-zag for the window start; ~20 bytes per entry for course-like keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spate::worker {

/// One pre-aggregated entry. `key` views either the encoder's input or the decoded buffer.
struct ShuffleEntry {
  uint32_t key_group = 0;
  int64_t window_start_ms = 0;
  std::string_view key;
  int64_t count = 0;
};

/// Appends `e` to `out`.
void AppendEntry(const ShuffleEntry& e, std::string* out);

/// Reads entries from an encoded buffer, in order. Not thread-safe.
class ShuffleDecoder {
 public:
  explicit ShuffleDecoder(std::string_view data) : data_(data) {}
  /// Decodes the next entry into `e`; false at the end or on a corrupt buffer (see corrupt()).
  bool Next(ShuffleEntry* e);
  bool corrupt() const { return corrupt_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool corrupt_ = false;
};

}  // namespace spate::worker
