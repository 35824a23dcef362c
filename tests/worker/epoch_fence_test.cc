// Workers refuse a deposed master (worker/worker.h CheckEpoch), and find the leader among a list
// of masters (worker/master_link.h).
#include <catch2/catch.hpp>

#include "tests/support/process.h"
#include "worker/master_link.h"
#include "worker/worker.h"

namespace spate::worker {
namespace {

TEST_CASE("a list of masters parses with or without spate://, duplicates dropped", "[unit]") {
  auto one = ParseMasterUrls("spate://127.0.0.1:7077");
  REQUIRE(one.ok());
  CHECK(*one == std::vector<std::string>{"127.0.0.1:7077"});
  auto many = ParseMasterUrls("spate://m1:7077,m2:7078,m1:7077");
  REQUIRE(many.ok());
  CHECK(*many == std::vector<std::string>{"m1:7077", "m2:7078"});
  CHECK(*ParseMasterUrls("m1:7077,m2:7077") == std::vector<std::string>{"m1:7077", "m2:7077"});
  for (const char* bad : {"spate://m1:7077,", "spate://m1:7077,m2", "http://m1:7077", ""}) {
    INFO(bad);
    CHECK(ParseMasterUrls(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("a worker refuses tasks and launches from an epoch below the highest it has seen",
          "[unit]") {
  spate::testing::TempDir dir("spate-epoch");
  WorkerHandler handler(dir.path(), nullptr);
  // Without standby masters every request carries epoch 0.
  CHECK(handler.CheckEpoch(0).ok());
  CHECK(handler.CheckEpoch(3).ok());
  CHECK(handler.epoch() == 3);
  CHECK(handler.CheckEpoch(3).ok());
  Status old = handler.CheckEpoch(2);
  CHECK(old.code() == StatusCode::kFailedPrecondition);
  CHECK(old.message().find("deposed master (epoch 2") != std::string::npos);
  CHECK(handler.epoch() == 3);

  proto::SourceTaskRequest source;
  source.set_job_id("job");
  source.set_executor_id("e2-exec-0");
  source.set_epoch(2);
  proto::SourceTaskReply source_reply;
  CHECK(handler.HandleRunSourceTask(source, &source_reply).code() ==
        StatusCode::kFailedPrecondition);
  proto::StateTaskRequest state;
  state.set_job_id("job");
  state.set_executor_id("e2-exec-0");
  state.set_epoch(2);
  proto::StateTaskReply state_reply;
  CHECK(handler.HandleRunStateTask(state, &state_reply).code() == StatusCode::kFailedPrecondition);
  proto::LaunchExecutorRequest launch;
  launch.set_job_id("job");
  launch.mutable_executor()->set_executor_id("e2-exec-1");
  launch.set_epoch(2);
  proto::LaunchExecutorReply launch_reply;
  CHECK(handler.HandleLaunchExecutor(launch, &launch_reply).code() ==
        StatusCode::kFailedPrecondition);
  CHECK(handler.ExecutorIds().empty());
  // The current leader's task gets past the fence (and finds no such executor).
  source.set_epoch(3);
  CHECK(handler.HandleRunSourceTask(source, &source_reply).code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace spate::worker
