// Unit tests of the gRPC edge helpers: retry schedule and typed retries, master URLs, status
// conversion. No sockets.
#include "common/rpc.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <vector>

namespace spate {
namespace {

using std::chrono::milliseconds;

std::vector<int64_t> Millis(const std::vector<milliseconds>& v) {
  std::vector<int64_t> out;
  for (auto d : v) out.push_back(d.count());
  return out;
}

TEST_CASE("the retry schedule backs off exponentially and is capped", "[unit]") {
  RetryPolicy p;
  CHECK(Millis(p.Schedule()) == std::vector<int64_t>{100, 200, 400, 800});
  p.max_attempts = 8;
  CHECK(Millis(p.Schedule()) == std::vector<int64_t>{100, 200, 400, 800, 1600, 2000, 2000});
  p.max_attempts = 4;
  p.initial_backoff = milliseconds(10);
  p.multiplier = 3.0;
  p.max_backoff = milliseconds(50);
  CHECK(Millis(p.Schedule()) == std::vector<int64_t>{10, 30, 50});
  p.max_attempts = 1;
  CHECK(p.Schedule().empty());
  p.max_attempts = 0;
  CHECK(p.Schedule().empty());
}

TEST_CASE("a long retry schedule does not overflow", "[unit]") {
  RetryPolicy p;
  p.max_attempts = 200;
  p.multiplier = 10.0;
  auto s = p.Schedule();
  REQUIRE(s.size() == 199);
  for (auto d : s) {
    CHECK(d.count() >= 100);
    CHECK(d.count() <= 2000);
  }
  CHECK(s.back().count() == 2000);
}

struct Recorder {
  std::vector<int64_t> sleeps;
  std::function<void(milliseconds)> fn() {
    return [this](milliseconds d) { sleeps.push_back(d.count()); };
  }
};

TEST_CASE("retry call retries Unavailable and DeadlineExceeded until success", "[unit]") {
  Recorder sleep;
  int calls = 0;
  Status s = RetryCall(
      RetryPolicy(),
      [&] {
        ++calls;
        if (calls == 1) return Status::Unavailable("down");
        if (calls == 2) return Status::DeadlineExceeded("slow");
        return Status::OK();
      },
      sleep.fn());
  CHECK(s.ok());
  CHECK(calls == 3);
  CHECK(sleep.sleeps == std::vector<int64_t>{100, 200});
}

TEST_CASE("retry call stops at max attempts and returns the last error", "[unit]") {
  Recorder sleep;
  int calls = 0;
  RetryPolicy p;
  p.max_attempts = 3;
  Status s = RetryCall(
      p,
      [&] {
        ++calls;
        return Status::Unavailable("attempt " + std::to_string(calls));
      },
      sleep.fn());
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message() == "attempt 3");
  CHECK(calls == 3);
  CHECK(sleep.sleeps == std::vector<int64_t>{100, 200});  // no sleep after the last attempt
}

TEST_CASE("retry call never retries InvalidArgument or other non-retryable codes", "[unit]") {
  for (Status err :
       {Status::InvalidArgument("bad"), Status::NotFound("gone"), Status::ResourceExhausted("full"),
        Status::FailedPrecondition("no"), Status::Internal("bug"), Status::Aborted("killed")}) {
    INFO(err.ToString());
    Recorder sleep;
    int calls = 0;
    Status s = RetryCall(
        RetryPolicy(),
        [&] {
          ++calls;
          return err;
        },
        sleep.fn());
    CHECK(s == err);
    CHECK(calls == 1);
    CHECK(sleep.sleeps.empty());
  }
}

TEST_CASE("retry call returns at once on success", "[unit]") {
  Recorder sleep;
  int calls = 0;
  CHECK(RetryCall(
            RetryPolicy(),
            [&] {
              ++calls;
              return Status::OK();
            },
            sleep.fn())
            .ok());
  CHECK(calls == 1);
  CHECK(sleep.sleeps.empty());
}

TEST_CASE("master URLs accept spate://host:port and host:port", "[unit]") {
  CHECK(*ParseMasterUrl("spate://127.0.0.1:7077") == "127.0.0.1:7077");
  CHECK(*ParseMasterUrl("master:7077") == "master:7077");
  CHECK(*ParseMasterUrl("spate://[::1]:7077") == "[::1]:7077");
  for (const char* bad : {"", "spate://", "spate://host", "host", "host:", ":7077", "spate://:7077",
                          "host:70a7", "host:-1", "spark://host:7077"}) {
    INFO(bad);
    auto r = ParseMasterUrl(bad);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("status codes survive the trip through gRPC with context in front", "[unit]") {
  for (StatusCode code :
       {StatusCode::kInvalidArgument, StatusCode::kNotFound, StatusCode::kAlreadyExists,
        StatusCode::kFailedPrecondition, StatusCode::kUnavailable, StatusCode::kDeadlineExceeded,
        StatusCode::kResourceExhausted, StatusCode::kAborted, StatusCode::kCancelled,
        StatusCode::kIOError, StatusCode::kInternal}) {
    Status s(code, "what happened");
    INFO(s.ToString());
    grpc::Status g = ToGrpcStatus(s);
    CHECK_FALSE(g.ok());
    CHECK(g.error_message() == "what happened");
    Status back = FromGrpcStatus(g, "RunSourceTask on 127.0.0.1:7078");
    CHECK(back.code() == code);
    CHECK(back.message() == "RunSourceTask on 127.0.0.1:7078: what happened");
  }
  CHECK(ToGrpcStatus(Status::OK()).ok());
  CHECK(FromGrpcStatus(grpc::Status::OK, "ctx").ok());
}

TEST_CASE("corruption travels as DATA_LOSS and comes back as IOError", "[unit]") {
  // gRPC has one code for both; the message still says what happened.
  grpc::Status g = ToGrpcStatus(Status::Corruption("bad block"));
  CHECK(g.error_code() == grpc::StatusCode::DATA_LOSS);
  Status back = FromGrpcStatus(g, "ctx");
  CHECK(back.code() == StatusCode::kIOError);
  CHECK(back.message() == "ctx: bad block");
}

TEST_CASE("gRPC codes without a Spate equivalent become Internal, connect failures read plainly",
          "[unit]") {
  CHECK(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "x"), "c").code() ==
        StatusCode::kInternal);
  CHECK(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNKNOWN, "x"), "c").code() ==
        StatusCode::kInternal);
  Status s = FromGrpcStatus(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect to all addresses"),
      "Heartbeat to 127.0.0.1:7077");
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message() == "Heartbeat to 127.0.0.1:7077: cannot connect");
  CHECK(s.IsRetryable());
}

}  // namespace
}  // namespace spate
