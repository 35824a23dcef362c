// libFuzzer target: the shuffle block decoder (worker/shuffle_codec.h), which reads blocks pushed
// by other workers, over arbitrary bytes. Must never crash, leak or read out of bounds, and:
// - every decoded key lies inside the block;
// - the decoded entries, encoded again, decode to the same entries, without corruption, in no
//   more bytes than the block (re-encoding is canonical);
// - a block cut short anywhere decodes to a prefix of the whole block's entries: a truncated
//   block may lose entries, never yield different ones.
//
//   shuffle_block_fuzz [corpus_dir] -max_len=4096
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "worker/shuffle_codec.h"

namespace {

using spate::worker::AppendEntry;
using spate::worker::ShuffleDecoder;
using spate::worker::ShuffleEntry;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "shuffle_block_fuzz: %s\n", what);
  std::abort();
}

struct Decoded {
  std::vector<ShuffleEntry> entries;
  bool corrupt = false;
};

Decoded DecodeAll(std::string_view data) {
  Decoded out;
  ShuffleDecoder decoder(data);
  ShuffleEntry e;
  while (decoder.Next(&e)) {
    if (!e.key.empty() &&
        (e.key.data() < data.data() || e.key.data() + e.key.size() > data.data() + data.size())) {
      Fail("a decoded key lies outside the block");
    }
    out.entries.push_back(e);
  }
  out.corrupt = decoder.corrupt();
  return out;
}

bool Same(const ShuffleEntry& a, const ShuffleEntry& b) {
  return a.key_group == b.key_group && a.window_start_ms == b.window_start_ms && a.key == b.key &&
         a.count == b.count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string block(reinterpret_cast<const char*>(bytes), size);
  const Decoded whole = DecodeAll(block);

  std::string again;
  for (const auto& e : whole.entries) AppendEntry(e, &again);
  if (again.size() > block.size()) Fail("re-encoding is longer than the block");
  const Decoded round = DecodeAll(again);
  if (round.corrupt) Fail("re-encoded entries decode as corrupt");
  if (round.entries.size() != whole.entries.size()) Fail("re-encoding changed the entry count");
  for (size_t i = 0; i < whole.entries.size(); ++i) {
    if (!Same(round.entries[i], whole.entries[i])) Fail("re-encoding changed an entry");
  }

  // The block cut at a few points (its first byte picks them).
  const size_t step = size == 0 ? 1 : 1 + bytes[0] % 7;
  for (size_t cut = 0; cut < size; cut += step) {
    const Decoded part = DecodeAll(std::string_view(block).substr(0, cut));
    if (part.entries.size() > whole.entries.size()) Fail("a cut block has more entries");
    for (size_t i = 0; i < part.entries.size(); ++i) {
      if (!Same(part.entries[i], whole.entries[i])) Fail("a cut block yields a different entry");
    }
  }
  return 0;
}
