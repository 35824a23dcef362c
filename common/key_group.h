// Key groups: the unit of state ownership and of shuffle routing (after Flink's
// KeyGroupRangeAssignment). A key hashes to one of a job's fixed number of key groups (its maximum
// parallelism); a shuffle partition owns a contiguous range of key groups. Because state is stored
// by key group, changing the number of shuffle partitions moves ranges, never rehashes keys.
#pragma once

#include <cstdint>
#include <string_view>

namespace spate {

/// Key group of a key: XXH3 64-bit hash (xxHash 0.8, seed 0) of the key's bytes modulo
/// `num_key_groups` (> 0). Stable across processes, machines and releases: state on disk depends
/// on it. Pure; thread-safe.
uint32_t KeyGroupOf(std::string_view key, uint32_t num_key_groups);

/// The XXH3 64-bit hash (seed 0) behind KeyGroupOf, for callers that route by the hash itself.
uint64_t KeyHash(std::string_view key);

/// A contiguous range [begin, end) of key groups.
struct KeyGroupRange {
  uint32_t begin = 0, end = 0;
  bool Contains(uint32_t kg) const { return kg >= begin && kg < end; }
  uint32_t size() const { return end > begin ? end - begin : 0; }
  bool operator==(const KeyGroupRange&) const = default;
};

/// The key-group range of shuffle partition `p` (< num_partitions) out of `num_partitions` over
/// `num_key_groups` groups, as Flink's computeKeyGroupRangeForOperatorIndex: ranges are
/// contiguous, in partition order, cover every group exactly once, and their sizes differ by at
/// most 1. Requires 0 < num_partitions <= num_key_groups.
KeyGroupRange RangeOfPartition(uint32_t p, uint32_t num_partitions, uint32_t num_key_groups);

/// The shuffle partition that owns key group `kg` (< num_key_groups): the inverse of
/// RangeOfPartition, i.e. RangeOfPartition(PartitionOfKeyGroup(kg, n, g), n, g).Contains(kg).
uint32_t PartitionOfKeyGroup(uint32_t kg, uint32_t num_partitions, uint32_t num_key_groups);

}  // namespace spate
