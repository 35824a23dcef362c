#include "common/key_group.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace spate {
namespace {

TEST_CASE("key hash is XXH3-64 with seed 0 and never changes", "[unit]") {
  // Reference values from python-xxhash 3.x (xxh3_64_intdigest); the empty-input value is the
  // published XXH3 test vector. State on disk is keyed by these: a change here breaks restores.
  CHECK(KeyHash("") == 0x2d06800538d394c2ULL);
  CHECK(KeyHash("user_1836") == 0xc69cd61a72bdbe13ULL);
  CHECK(KeyHash("user_1") == 0x20f909ab6f54d5a1ULL);
  CHECK(KeyHash("192.168.1.42") == 0x38d1649379b0d520ULL);
  CHECK(KeyGroupOf("user_1836", 128) == 19);
  CHECK(KeyGroupOf("user_1", 128) == 33);
  CHECK(KeyGroupOf("user_1", 256) == 161);
  CHECK(KeyGroupOf("user_1", 1000) == 585);
  CHECK(KeyGroupOf("a", 1000) == 719);
  CHECK(KeyGroupOf("anything", 1) == 0);
}

TEST_CASE("key groups are deterministic, in range and spread keys", "[unit]") {
  std::vector<int> counts(64, 0);
  for (int i = 0; i < 64'000; ++i) {
    const std::string key = "user_" + std::to_string(i);
    const uint32_t kg = KeyGroupOf(key, 64);
    REQUIRE(kg < 64);
    REQUIRE(kg == KeyGroupOf(std::string_view(key), 64));
    ++counts[kg];
  }
  for (int c : counts) {
    CHECK(c > 800);  // 1000 expected per group
    CHECK(c < 1200);
  }
}

TEST_CASE("partition ranges cover every key group exactly once and are balanced", "[unit]") {
  for (uint32_t groups : {1u, 2u, 3u, 7u, 10u, 64u, 100u, 127u, 128u, 1000u, 4096u, 32768u}) {
    for (uint32_t parts = 1; parts <= groups && parts <= 70; ++parts) {
      uint32_t next = 0, min_size = groups, max_size = 0;
      for (uint32_t p = 0; p < parts; ++p) {
        const KeyGroupRange r = RangeOfPartition(p, parts, groups);
        REQUIRE(r.begin == next);  // contiguous, in order, no overlap
        REQUIRE(r.end > r.begin);  // parts <= groups: never empty
        next = r.end;
        min_size = std::min(min_size, r.size());
        max_size = std::max(max_size, r.size());
      }
      REQUIRE(next == groups);
      REQUIRE(max_size - min_size <= 1);
    }
  }
}

TEST_CASE("partition of a key group is the inverse of the partition's range", "[unit]") {
  for (uint32_t groups : {1u, 5u, 64u, 100u, 128u, 999u, 1000u}) {
    for (uint32_t parts = 1; parts <= groups && parts <= 40; ++parts) {
      for (uint32_t kg = 0; kg < groups; ++kg) {
        const uint32_t p = PartitionOfKeyGroup(kg, parts, groups);
        REQUIRE(p < parts);
        REQUIRE(RangeOfPartition(p, parts, groups).Contains(kg));
      }
    }
  }
  // Large values: 64-bit intermediates, no overflow.
  const uint32_t big = 0xFFFFFFFFu;
  CHECK(RangeOfPartition(0, 3, big) == KeyGroupRange{0, 1431655765});
  CHECK(RangeOfPartition(2, 3, big).end == big);
  CHECK(PartitionOfKeyGroup(big - 1, 3, big) == 2);
  CHECK(PartitionOfKeyGroup(1431655764, 3, big) == 0);
  CHECK(PartitionOfKeyGroup(1431655765, 3, big) == 1);
}

TEST_CASE("key group ranges match Flink's assignment", "[unit]") {
  // Flink: start = ceil(i * maxP / P), end = ceil((i + 1) * maxP / P) - 1 (inclusive).
  CHECK(RangeOfPartition(0, 3, 10) == KeyGroupRange{0, 4});
  CHECK(RangeOfPartition(1, 3, 10) == KeyGroupRange{4, 7});
  CHECK(RangeOfPartition(2, 3, 10) == KeyGroupRange{7, 10});
  CHECK(RangeOfPartition(0, 1, 128) == KeyGroupRange{0, 128});
  const KeyGroupRange r{3, 5};
  CHECK(r.size() == 2);
  CHECK(r.Contains(3));
  CHECK(r.Contains(4));
  CHECK_FALSE(r.Contains(5));
  CHECK_FALSE(r.Contains(2));
  CHECK(KeyGroupRange{}.size() == 0);
}

}  // namespace
}  // namespace spate
