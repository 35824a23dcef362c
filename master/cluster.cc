#include "master/cluster.h"

#include <algorithm>

#include "common/key_group.h"

namespace spate::master {

WorkerRegistry::WorkerRegistry(std::function<int64_t()> clock, int64_t timeout_ms)
    : clock_(std::move(clock)), timeout_ms_(timeout_ms) {}

std::string WorkerRegistry::Register(const proto::WorkerInfo& info) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string id = info.worker_id();
  // A worker re-registering after it was declared lost comes back with nothing running:
  // its old reservations went with the jobs that were told it was lost.
  if (id.empty() || !workers_.count(id)) {
    if (id.empty()) {
      id = "worker-" + std::to_string(next_id_++) + "-" + info.host() + "-" +
           std::to_string(info.port());
    }
  }
  WorkerRecord& w = workers_[id];
  bool was_alive = w.alive && w.registered_ms != 0;
  w.id = id;
  w.host = info.host();
  w.port = info.port();
  w.cores = info.cores();
  w.memory_bytes = info.memory_bytes();
  if (!was_alive) {
    w.cores_used = 0;
    w.memory_used = 0;
  }
  w.registered_ms = clock_();
  w.last_heartbeat_ms = w.registered_ms;
  w.alive = true;
  return id;
}

bool WorkerRegistry::Heartbeat(const std::string& id, const std::vector<std::string>& executors) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(id);
  if (it == workers_.end() || !it->second.alive) return false;
  it->second.last_heartbeat_ms = clock_();
  it->second.executors = executors;
  return true;
}

std::vector<std::string> WorkerRegistry::ExpireLost() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> lost;
  int64_t now = clock_();
  for (auto& [id, w] : workers_) {
    if (w.alive && now - w.last_heartbeat_ms > timeout_ms_) {
      w.alive = false;
      w.cores_used = 0;
      w.memory_used = 0;
      lost.push_back(id);
    }
  }
  return lost;
}

Status WorkerRegistry::Reserve(const std::string& id, int cores, int64_t memory) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(id);
  if (it == workers_.end() || !it->second.alive) {
    return Status::FailedPrecondition("worker " + id + " is not alive");
  }
  WorkerRecord& w = it->second;
  if (w.free_cores() < cores || w.free_memory() < memory) {
    return Status::FailedPrecondition("worker " + id + " lacks resources");
  }
  w.cores_used += cores;
  w.memory_used += memory;
  return Status::OK();
}

void WorkerRegistry::Release(const std::string& id, int cores, int64_t memory) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(id);
  if (it == workers_.end() || !it->second.alive) return;
  it->second.cores_used = std::max(0, it->second.cores_used - cores);
  it->second.memory_used = std::max<int64_t>(0, it->second.memory_used - memory);
}

std::vector<WorkerRecord> WorkerRegistry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WorkerRecord> out;
  for (const auto& [id, w] : workers_) out.push_back(w);
  return out;
}

bool WorkerRegistry::IsAlive(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workers_.find(id);
  return it != workers_.end() && it->second.alive;
}

Result<std::vector<std::string>> PlaceExecutors(const std::vector<WorkerRecord>& workers, int count,
                                                int cores, int64_t memory) {
  std::vector<WorkerRecord> live;
  for (const auto& w : workers)
    if (w.alive) live.push_back(w);
  std::vector<std::string> out;
  // Round-robin over workers, one executor per worker per round: spreads executors out.
  bool placed = true;
  while (static_cast<int>(out.size()) < count && placed) {
    placed = false;
    for (auto& w : live) {
      if (static_cast<int>(out.size()) == count) break;
      if (w.free_cores() >= cores && w.free_memory() >= memory) {
        w.cores_used += cores;
        w.memory_used += memory;
        out.push_back(w.id);
        placed = true;
      }
    }
  }
  if (static_cast<int>(out.size()) == count) return out;
  int free_cores = 0;
  int64_t free_mem = 0;
  for (const auto& w : workers) {
    if (!w.alive) continue;
    free_cores += w.free_cores();
    free_mem += w.free_memory();
  }
  return Status::ResourceExhausted(
      "needs " + std::to_string(count) + " executor(s) of " + std::to_string(cores) +
      " core(s) and " + std::to_string(memory >> 20) + " MB; the cluster has " +
      std::to_string(live.size()) + " live worker(s) with " + std::to_string(free_cores) +
      " free core(s) and " + std::to_string(free_mem >> 20) + " MB free");
}

void AssignWork(std::vector<proto::ExecutorAssignment>* executors, int kafka_partitions,
                int shuffle_partitions, int key_groups) {
  const int n = static_cast<int>(executors->size());
  if (n == 0) return;  // nothing to assign to (a job that lost every executor)
  for (auto& e : *executors) {
    e.clear_kafka_partitions();
    e.clear_shuffle_partitions();
    e.clear_key_groups();
  }
  for (int p = 0; p < kafka_partitions; ++p) (*executors)[p % n].add_kafka_partitions(p);
  for (int s = 0; s < shuffle_partitions; ++s) {
    auto& e = (*executors)[s % n];
    e.add_shuffle_partitions(s);
    KeyGroupRange r =
        RangeOfPartition(static_cast<uint32_t>(s), static_cast<uint32_t>(shuffle_partitions),
                         static_cast<uint32_t>(key_groups));
    auto* kg = e.add_key_groups();
    kg->set_begin(r.begin);
    kg->set_end(r.end);
  }
}

}  // namespace spate::master
