#include "exec/value.h"

#include <algorithm>
#include <cstring>

namespace spate::exec {
namespace {
constexpr size_t kFirstBlock = 4096;
}  // namespace

char* Arena::Allocate(size_t n) {
  if (n == 0) n = 1;  // a distinct, valid pointer even for empty strings
  if (block_ < blocks_.size() && sizes_[block_] - used_ >= n) {
    char* p = blocks_[block_].get() + used_;
    used_ += n;
    return p;
  }
  // The current block is full: the next kept block that fits (blocks kept by Reset are reused
  // in order), or a new one twice the size of the last, so a record's strings cost O(log n)
  // blocks and the steady state none.
  for (size_t b = blocks_.empty() ? 0 : block_ + 1; b < blocks_.size(); ++b) {
    if (sizes_[b] >= n) {
      block_ = b;
      used_ = n;
      return blocks_[b].get();
    }
  }
  const size_t size = std::max({n, kFirstBlock, sizes_.empty() ? size_t{0} : sizes_.back() * 2});
  blocks_.emplace_back(new char[size]);
  sizes_.push_back(size);
  block_ = blocks_.size() - 1;
  used_ = n;
  return blocks_.back().get();
}

std::string_view Arena::Copy(std::string_view s) {
  char* p = Allocate(s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

void Arena::Reset() {
  block_ = 0;
  used_ = 0;
}

}  // namespace spate::exec
