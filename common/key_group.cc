#include "common/key_group.h"

// Inlined so that hashing a short user id costs no call into libxxhash.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace spate {

uint64_t KeyHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

uint32_t KeyGroupOf(std::string_view key, uint32_t num_key_groups) {
  return static_cast<uint32_t>(KeyHash(key) % num_key_groups);
}

KeyGroupRange RangeOfPartition(uint32_t p, uint32_t num_partitions, uint32_t num_key_groups) {
  // Partition p owns [ceil(p*G/P), ceil((p+1)*G/P)); 64-bit products cannot overflow.
  const uint64_t g = num_key_groups, n = num_partitions;
  KeyGroupRange r;
  r.begin = static_cast<uint32_t>((p * g + n - 1) / n);
  r.end = static_cast<uint32_t>(((p + 1) * g + n - 1) / n);
  return r;
}

uint32_t PartitionOfKeyGroup(uint32_t kg, uint32_t num_partitions, uint32_t num_key_groups) {
  // kg lies in [ceil(pG/P), ceil((p+1)G/P)) exactly when p <= kg*P/G < p+1.
  return static_cast<uint32_t>(static_cast<uint64_t>(kg) * num_partitions / num_key_groups);
}

}  // namespace spate
