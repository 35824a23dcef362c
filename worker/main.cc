#include <malloc.h>

#include "worker/worker.h"

int main(int argc, char** argv) {
  // Tasks run on gRPC's and librdkafka's many threads; glibc's default of one malloc arena per
  // thread (up to 8 per core) keeps freed record batches resident in each. Two arenas hold the
  // worker's peak resident memory down at no measured cost in speed (docs/performance.md).
  mallopt(M_ARENA_MAX, 2);
  return spate::worker::RunWorker(argc, argv);
}
