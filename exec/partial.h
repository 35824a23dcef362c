// Partial aggregates: what stage 1 sends through the shuffle to stage 2, and what stage 2 keeps
// per (window, group key). One entry: the key group, the window [start, end), the encoded group
// key (exec/row_codec.h) and the aggregates' serialized state (exec/aggregate.h).
// Encoding: varint key group, zig-zag varint window start, varint (end - start), varint key
// length + key, varint state length + state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spate::exec {

/// One partial aggregate; the views point into the encoder's input or the decoded buffer.
struct PartialEntry {
  uint32_t key_group = 0;
  int64_t window_start_ms = 0;
  int64_t window_end_ms = 0;
  std::string_view key;
  std::string_view state;
};

/// The same, owning its bytes (restored state, snapshots).
struct OwnedPartial {
  uint32_t key_group = 0;
  int64_t window_start_ms = 0;
  int64_t window_end_ms = 0;
  std::string key;
  std::string state;
  PartialEntry view() const { return {key_group, window_start_ms, window_end_ms, key, state}; }
};

/// Appends `e` to `out`.
void AppendPartial(const PartialEntry& e, std::string* out);

/// Reads entries from an encoded buffer, in order. Not thread-safe.
class PartialDecoder {
 public:
  explicit PartialDecoder(std::string_view data) : data_(data) {}
  /// The next entry; false at the end or on a corrupt buffer (see corrupt()).
  bool Next(PartialEntry* e);
  bool corrupt() const { return corrupt_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool corrupt_ = false;
};

/// Splits an encoded buffer into chunks of at most `max_bytes` at entry boundaries (a lone
/// entry larger than that is a chunk of its own).
std::vector<std::string> SplitPartials(std::string data, size_t max_bytes);

}  // namespace spate::exec
