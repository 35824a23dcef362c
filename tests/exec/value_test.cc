#include "exec/value.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace spate::exec {
namespace {

TEST_CASE("arena copies survive until Reset and blocks are reused after it", "[unit]") {
  Arena arena;
  std::vector<std::string_view> views;
  std::vector<std::string> expected;
  for (int k = 0; k < 2000; ++k) {
    expected.push_back(std::string(static_cast<size_t>(k % 97), static_cast<char>('a' + k % 26)));
    views.push_back(arena.Copy(expected.back()));
  }
  for (size_t k = 0; k < views.size(); ++k) CHECK(views[k] == expected[k]);
  // A large allocation gets its own block.
  char* big = arena.Allocate(1 << 20);
  big[0] = 'x';
  big[(1 << 20) - 1] = 'y';
  const char* first = views[1].data();
  arena.Reset();
  // The same sequence after Reset lands in the same memory: nothing new is allocated.
  std::string_view again = arena.Copy(std::string_view("a"));
  (void)again;
  std::string_view second = arena.Copy(expected[1]);
  CHECK(second.data() == first);
  CHECK(arena.Copy("").size() == 0);
}

}  // namespace
}  // namespace spate::exec
