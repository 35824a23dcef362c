// Errors as values, after Arrow: Status for "did it work", Result<T> for "a T or why not".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace spate {

/// What kind of failure a Status carries. Retry logic keys off these codes.
enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     ///< bad flag, bad spec, bad input: fix the request
  kNotFound,            ///< a job, topic, key or file that does not exist
  kAlreadyExists,       ///< e.g. creating a topic that is there
  kFailedPrecondition,  ///< the system is not in a state to do this
  kUnavailable,         ///< a peer (broker, master, worker) cannot be reached: retryable
  kDeadlineExceeded,    ///< a call ran past its deadline: retryable
  kResourceExhausted,   ///< not enough cores/memory/space
  kAborted,             ///< gave up because something else changed (e.g. job killed)
  kCancelled,
  kIOError,
  kCorruption,
  kInternal,
  kOutOfRange,  ///< e.g. offsets no longer in Kafka: retrying cannot help
};

/// Name of a code, e.g. "InvalidArgument".
std::string_view StatusCodeName(StatusCode code);

/// The outcome of an operation. Cheap to copy when OK (no allocation).
/// Thread-compatible: distinct instances may be used from different threads.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status OK() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  /// "InvalidArgument: message", or "OK".
  std::string ToString() const;
  /// Adds context in front of the message: "while reading batch 3: <message>".
  Status WithContext(std::string_view context) const;
  /// True for codes that a bounded retry may fix (Unavailable, DeadlineExceeded).
  bool IsRetryable() const;

  bool operator==(const Status& other) const {
    return code() == other.code() && message() == other.message();
  }

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

/// A value of type T or the Status that says why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result constructed from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T ValueOr(T fallback) const { return ok() ? value() : std::move(fallback); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace spate

#define SPATE_CONCAT_INNER(a, b) a##b
#define SPATE_CONCAT(a, b) SPATE_CONCAT_INNER(a, b)

/// Returns the Status of `expr` from the enclosing function if it is not OK.
#define SPATE_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::spate::Status _spate_st = (expr);    \
    if (!_spate_st.ok()) return _spate_st; \
  } while (false)

#define SPATE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

/// `SPATE_ASSIGN_OR_RETURN(auto x, MakeX());` assigns the value or returns the error.
#define SPATE_ASSIGN_OR_RETURN(lhs, rexpr) \
  SPATE_ASSIGN_OR_RETURN_IMPL(SPATE_CONCAT(_spate_res_, __LINE__), lhs, rexpr)
