#include "common/rpc.h"

#include <algorithm>

#include "common/security.h"

namespace spate {

grpc::Status ToGrpcStatus(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (s.code()) {
    case StatusCode::kOk:
      code = grpc::StatusCode::OK;
      break;
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case StatusCode::kAborted:
      code = grpc::StatusCode::ABORTED;
      break;
    case StatusCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    case StatusCode::kIOError:
      code = grpc::StatusCode::DATA_LOSS;
      break;
    case StatusCode::kCorruption:
      code = grpc::StatusCode::DATA_LOSS;
      break;
    case StatusCode::kInternal:
      code = grpc::StatusCode::INTERNAL;
      break;
    case StatusCode::kOutOfRange:
      code = grpc::StatusCode::OUT_OF_RANGE;
      break;
  }
  return grpc::Status(code, s.message());
}

Status FromGrpcStatus(const grpc::Status& s, std::string_view context) {
  if (s.ok()) return Status::OK();
  StatusCode code = StatusCode::kInternal;
  switch (s.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      code = StatusCode::kInvalidArgument;
      break;
    case grpc::StatusCode::NOT_FOUND:
      code = StatusCode::kNotFound;
      break;
    case grpc::StatusCode::ALREADY_EXISTS:
      code = StatusCode::kAlreadyExists;
      break;
    case grpc::StatusCode::FAILED_PRECONDITION:
      code = StatusCode::kFailedPrecondition;
      break;
    case grpc::StatusCode::UNAVAILABLE:
      code = StatusCode::kUnavailable;
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      code = StatusCode::kDeadlineExceeded;
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      code = StatusCode::kResourceExhausted;
      break;
    case grpc::StatusCode::ABORTED:
      code = StatusCode::kAborted;
      break;
    case grpc::StatusCode::CANCELLED:
      code = StatusCode::kCancelled;
      break;
    case grpc::StatusCode::DATA_LOSS:
      code = StatusCode::kIOError;
      break;
    case grpc::StatusCode::OUT_OF_RANGE:
      code = StatusCode::kOutOfRange;
      break;
    default:
      code = StatusCode::kInternal;
      break;
  }
  std::string msg = s.error_message();
  if (code == StatusCode::kUnavailable && msg.find("failed to connect") != std::string::npos) {
    msg = "cannot connect";
  }
  return Status(code, std::string(context) + ": " + msg);
}

namespace {
constexpr int kKeepaliveMs = 3000;
}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  return MakeChannel(address, GetTransportSecurity());
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const TransportSecurity& security) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // Fail fast on a dead peer instead of waiting for reconnect backoff to grow large.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  // A call to a peer cut off by the network (no RST, packets dropped) would otherwise wait for
  // its deadline: pings while calls are open fail it after kKeepalive * 2 of silence.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address, MakeChannelCredentials(security), args, MakeAuthInterceptors(security.auth_secret));
}

void ConfigureServer(grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(64 << 20);
  builder->SetMaxSendMessageSize(64 << 20);
  // Accept the clients' keepalive pings (gRPC's default policy answers pings more often than
  // every 5 minutes with GOAWAY).
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                              kKeepaliveMs / 2);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
}

std::unique_ptr<grpc::ClientContext> MakeContext(std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

Result<std::string> ParseMasterUrl(std::string_view url) {
  constexpr std::string_view kScheme = "spate://";
  if (url.substr(0, kScheme.size()) == kScheme) url.remove_prefix(kScheme.size());
  if (url.find("://") != std::string_view::npos) {
    return Status::InvalidArgument("invalid master URL '" + std::string(url) +
                                   "' (expected spate://HOST:PORT)");
  }
  size_t colon = url.rfind(':');
  if (url.empty() || colon == std::string_view::npos || colon == 0 || colon + 1 == url.size()) {
    return Status::InvalidArgument("invalid master URL '" + std::string(url) +
                                   "' (expected spate://HOST:PORT)");
  }
  for (char c : url.substr(colon + 1)) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("invalid port in master URL '" + std::string(url) + "'");
    }
  }
  return std::string(url);
}

std::vector<std::chrono::milliseconds> RetryPolicy::Schedule() const {
  std::vector<std::chrono::milliseconds> out;
  double next = static_cast<double>(initial_backoff.count());
  for (int i = 1; i < max_attempts; ++i) {
    // Capped before the cast: `next` grows past the int64 range after enough attempts.
    out.emplace_back(
        static_cast<int64_t>(std::min(next, static_cast<double>(max_backoff.count()))));
    next *= multiplier;
  }
  return out;
}

Status RetryCall(const RetryPolicy& policy, const std::function<Status()>& attempt,
                 const std::function<void(std::chrono::milliseconds)>& sleep) {
  auto schedule = policy.Schedule();
  Status last;
  for (int i = 0; i < policy.max_attempts; ++i) {
    last = attempt();
    if (last.ok() || !last.IsRetryable()) return last;
    if (i < static_cast<int>(schedule.size())) sleep(schedule[i]);
  }
  return last;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace spate
