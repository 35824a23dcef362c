// gRPC at the transport edge: status conversion, channels, deadlines and bounded retries.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/security.h"
#include "common/status.h"

namespace spate {

/// Spate status -> gRPC status (same code, same message).
grpc::Status ToGrpcStatus(const Status& s);
/// gRPC status -> Spate status, with `context` ("RunSourceTask on 127.0.0.1:7078") in front.
Status FromGrpcStatus(const grpc::Status& s, std::string_view context);

/// A channel to host:port with Spate's limits (64 MB messages, keepalive) and this process's
/// security (GetTransportSecurity: TLS, a proof of the cluster secret on every call).
/// Thread-safe.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);
/// The same with explicit security (tests acting as another process).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const TransportSecurity& security);

/// Message size limits and the keepalive policy that lets MakeChannel's clients ping while a
/// call is open (so a peer whose network went silent fails the call within seconds).
void ConfigureServer(grpc::ServerBuilder* builder);

/// Starts a client context whose deadline is `timeout` from now.
std::unique_ptr<grpc::ClientContext> MakeContext(std::chrono::milliseconds timeout);

/// "spate://host:port" (or "host:port") -> "host:port".
Result<std::string> ParseMasterUrl(std::string_view url);

/// Bounded, typed retries: only retryable codes (Unavailable, DeadlineExceeded) are retried,
/// with exponential backoff capped at max_backoff.
struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
  double multiplier = 2.0;

  /// The waits between attempts: max_attempts - 1 entries.
  std::vector<std::chrono::milliseconds> Schedule() const;
};

/// Calls `attempt` until it succeeds, fails with a non-retryable code, or the policy is spent.
/// `sleep` is injectable for tests.
Status RetryCall(
    const RetryPolicy& policy, const std::function<Status()>& attempt,
    const std::function<void(std::chrono::milliseconds)>& sleep = [](std::chrono::milliseconds d) {
      std::this_thread::sleep_for(d);
    });

/// Defines the gRPC service method `Rpc` as a call of the handler's `HandleRpc` (member `h_`),
/// converting the Status, after checking the caller's proof of the cluster secret: service
/// adapters stay one line per rpc.
#define SPATE_GRPC_METHOD(Rpc, Request, Reply)                                                \
  grpc::Status Rpc(grpc::ServerContext* ctx, const Request* request, Reply* reply) override { \
    if (grpc::Status denied = ::spate::AuthorizeCall(ctx, #Rpc); !denied.ok()) return denied; \
    return ::spate::ToGrpcStatus(h_->Handle##Rpc(*request, reply));                           \
  }

/// Wall-clock milliseconds since the epoch.
int64_t NowMs();

}  // namespace spate
