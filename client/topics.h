// spate-topics: create, delete, list and describe Kafka topics from the command line.
#pragma once

#include <ostream>

namespace spate {

/// Runs `spate-topics` with the given command line:
///
///   spate-topics [--bootstrap B] [--timeout 10s] create TOPIC [--partitions N]
///                [--replication-factor R] [--config K=V ...] [--if-not-exists]
///   spate-topics ... delete TOPIC [--if-exists]
///   spate-topics ... list [--internal]
///   spate-topics ... describe TOPIC
///
/// `--bootstrap` defaults to $KAFKA_BROKER, then 127.0.0.1:19092. Results go to `out`,
/// errors (one line, naming the topic and broker) to `err`. Returns the process exit code:
/// 0 success, 1 the operation failed (topic exists, topic missing, broker unreachable within
/// the timeout, broker refused), 2 bad command line. Not thread-safe (sets the default logger).
int RunTopics(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

/// RunTopics writing to std::cout and std::cerr.
int RunTopics(int argc, const char* const* argv);

}  // namespace spate
