#include "common/status.h"

#include <catch2/catch.hpp>

namespace spate {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  SPATE_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST_CASE("ok status carries no message and a code name", "[unit]") {
  Status s;
  CHECK(s.ok());
  CHECK(s.ToString() == "OK");
  Status e = Status::NotFound("topic logs");
  CHECK_FALSE(e.ok());
  CHECK(e.ToString() == "NotFound: topic logs");
  CHECK(e.WithContext("describe").message() == "describe: topic logs");
}

TEST_CASE("assign-or-return propagates the first error", "[unit]") {
  CHECK(Quarter(8).value() == 2);
  CHECK(Quarter(6).status().code() == StatusCode::kInvalidArgument);
  CHECK(Quarter(3).status().message() == "odd");
}

TEST_CASE("only unavailable and deadline errors are retryable", "[unit]") {
  CHECK(Status::Unavailable("x").IsRetryable());
  CHECK(Status::DeadlineExceeded("x").IsRetryable());
  CHECK_FALSE(Status::InvalidArgument("x").IsRetryable());
  CHECK_FALSE(Status::OK().IsRetryable());
}

}  // namespace
}  // namespace spate
