#include "worker/plan_state.h"

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>

namespace spate::worker {
namespace {

using exec::OwnedPartial;
using exec::PartialEntry;

void PutBigEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

constexpr uint64_t kSignFlip = uint64_t{1} << 63;

std::string StateKey(uint32_t kg, int64_t start, std::string_view key) {
  std::string out;
  out.reserve(12 + key.size());
  PutBigEndian(kg, 4, &out);
  PutBigEndian(static_cast<uint64_t>(start) ^ kSignFlip, 8, &out);
  out.append(key);
  return out;
}

std::string StateValue(int64_t end, std::string_view state) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &end, 8);
  out.append(state);
  return out;
}

std::string VersionKey(KeyGroupRange range) {
  std::string k = "\xff\xff\xff\xffversion/";
  PutBigEndian(range.begin, 4, &k);
  PutBigEndian(range.end, 4, &k);
  return k;
}

bool ParseState(const rocksdb::Slice& k, const rocksdb::Slice& v, PartialEntry* e) {
  if (k.size() < 12 || v.size() < 8) return false;
  e->key_group = static_cast<uint32_t>(GetBigEndian(k.data(), 4));
  e->window_start_ms = static_cast<int64_t>(GetBigEndian(k.data() + 4, 8) ^ kSignFlip);
  std::memcpy(&e->window_end_ms, v.data(), 8);
  e->key = std::string_view(k.data() + 12, k.size() - 12);
  e->state = std::string_view(v.data() + 8, v.size() - 8);
  return true;
}

// The aggregates' states of one window merge: the window end (first 8 bytes) is the same.
class AggregateMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  explicit AggregateMergeOperator(std::shared_ptr<const exec::CompiledQuery> query)
      : query_(std::move(query)) {}
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    if (value.size() < 8) return false;
    if (!existing) {
      new_value->assign(value.data(), value.size());
      return true;
    }
    if (existing->size() < 8) return false;
    std::string state(existing->data() + 8, existing->size() - 8);
    if (!query_->aggregates()
             ->Merge(&state, std::string_view(value.data() + 8, value.size() - 8))
             .ok()) {
      return false;
    }
    *new_value = StateValue(std::max(DecodeEnd(*existing), DecodeEnd(value)), state);
    return true;
  }
  const char* Name() const override { return "spate.aggregates"; }

 private:
  static int64_t DecodeEnd(const rocksdb::Slice& s) {
    int64_t e = 0;
    std::memcpy(&e, s.data(), 8);
    return e;
  }
  std::shared_ptr<const exec::CompiledQuery> query_;
};

// Sessions of one group key, by start: merging a partial takes every session it overlaps.
using Sessions = std::map<std::pair<std::string, int64_t>, std::pair<int64_t, std::string>>;

Status MergeSession(const exec::AggregateSet& aggs, const PartialEntry& e, Sessions* sessions,
                    std::vector<std::pair<std::string, int64_t>>* removed) {
  int64_t start = e.window_start_ms, end = e.window_end_ms;
  std::string state(e.state);
  const std::string key(e.key);
  // Sessions of the key that start at or before `end` and end at or after `start` merge
  // (touching ones too, as Flink's TimeWindow.intersects).
  auto it = sessions->lower_bound({key, INT64_MIN});
  while (it != sessions->end() && it->first.first == key && it->first.second <= end) {
    if (it->second.first >= start) {
      start = std::min(start, it->first.second);
      end = std::max(end, it->second.first);
      SPATE_RETURN_IF_ERROR(aggs.Merge(&state, it->second.second));
      if (removed) removed->push_back(it->first);
      it = sessions->erase(it);
    } else {
      ++it;
    }
  }
  (*sessions)[{key, start}] = {end, std::move(state)};
  return Status::OK();
}

class RocksDbPlanState : public PlanStateStore {
 public:
  RocksDbPlanState(std::unique_ptr<rocksdb::DB> db, std::shared_ptr<const exec::CompiledQuery> q)
      : db_(std::move(db)), query_(std::move(q)) {}

  Result<PlanApplyResult> ApplyBatch(KeyGroupRange range, const std::vector<PartialEntry>& entries,
                                     int64_t watermark_ms, int64_t version,
                                     exec::Finalizer* finalizer) override {
    PlanApplyResult result;
    rocksdb::WriteBatch batch;
    if (version >= 0)
      batch.Put(VersionKey(range), std::string(reinterpret_cast<char*>(&version), 8));
    const std::string lower = StateKey(range.begin, INT64_MIN, "");
    const std::string upper = StateKey(range.end, INT64_MIN, "");
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    auto emit = [&](const PartialEntry& e) -> Status {
      PlanRow row{e.window_start_ms, e.window_end_ms, {}, {}};
      SPATE_ASSIGN_OR_RETURN(bool keep, finalizer->Finish(e.key, e.window_start_ms, e.window_end_ms,
                                                          e.state, &row.json, &row.key));
      if (keep) result.rows.push_back(std::move(row));
      ++result.windows_closed;
      return Status::OK();
    };
    if (query_->session()) {
      // Group keys per key group: sessions are per (key group, key); read the range's sessions,
      // merge the batch's partials into them, then close.
      std::map<uint32_t, Sessions> by_group;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
      for (it->Seek(lower); it->Valid(); it->Next()) {
        PartialEntry e;
        if (!ParseState(it->key(), it->value(), &e)) continue;
        by_group[e.key_group][{std::string(e.key), e.window_start_ms}] = {e.window_end_ms,
                                                                          std::string(e.state)};
      }
      if (!it->status().ok()) return Status::IOError("state scan: " + it->status().ToString());
      for (const auto& e : entries) {
        std::vector<std::pair<std::string, int64_t>> removed;
        SPATE_RETURN_IF_ERROR(
            MergeSession(*query_->aggregates(), e, &by_group[e.key_group], &removed));
        for (const auto& [key, start] : removed) batch.Delete(StateKey(e.key_group, start, key));
      }
      for (auto& [kg, sessions] : by_group) {
        for (const auto& [ks, v] : sessions) {
          const auto& [key, start] = ks;
          const auto& [end, state] = v;
          if (exec::CompiledQuery::Closed(end, watermark_ms)) {
            SPATE_RETURN_IF_ERROR(emit({kg, start, end, key, state}));
            batch.Delete(StateKey(kg, start, key));
          } else {
            batch.Put(StateKey(kg, start, key), StateValue(end, state));
          }
        }
      }
    } else {
      // Entries never fall into a window that closes in this batch (stage 1 drops late records
      // and HOP panes that closed), so closing the state as it was and merging commute.
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
      for (it->Seek(lower); it->Valid(); it->Next()) {
        PartialEntry e;
        if (!ParseState(it->key(), it->value(), &e)) continue;
        if (exec::CompiledQuery::Closed(e.window_end_ms, watermark_ms)) {
          SPATE_RETURN_IF_ERROR(emit(e));
          batch.Delete(it->key());
        }
      }
      if (!it->status().ok()) return Status::IOError("state scan: " + it->status().ToString());
      for (const auto& e : entries) {
        batch.Merge(StateKey(e.key_group, e.window_start_ms, e.key),
                    StateValue(e.window_end_ms, e.state));
      }
    }
    result.rows_merged = static_cast<int64_t>(entries.size());
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return Status::IOError("state write: " + s.ToString());
    std::unique_ptr<rocksdb::Iterator> after(db_->NewIterator(ro));
    for (after->Seek(lower); after->Valid(); after->Next()) {
      ++result.state_rows;
      result.state_bytes += static_cast<int64_t>(after->key().size() + after->value().size());
    }
    std::sort(result.rows.begin(), result.rows.end(), [](const PlanRow& a, const PlanRow& b) {
      return a.window_start_ms != b.window_start_ms ? a.window_start_ms < b.window_start_ms
                                                    : a.json < b.json;
    });
    return result;
  }

  Result<int64_t> Version(KeyGroupRange range) override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), VersionKey(range), &value);
    if (s.IsNotFound()) return int64_t{-1};
    if (!s.ok() || value.size() != 8) return Status::IOError("state version read: " + s.ToString());
    int64_t v = 0;
    std::memcpy(&v, value.data(), 8);
    return v;
  }

  Status Reset(KeyGroupRange range, const std::vector<OwnedPartial>& entries,
               int64_t version) override {
    rocksdb::WriteBatch batch;
    batch.DeleteRange(db_->DefaultColumnFamily(), StateKey(range.begin, INT64_MIN, ""),
                      StateKey(range.end, INT64_MIN, ""));
    for (const auto& e : entries) {
      batch.Put(StateKey(e.key_group, e.window_start_ms, e.key),
                StateValue(e.window_end_ms, e.state));
    }
    batch.Put(VersionKey(range), std::string(reinterpret_cast<char*>(&version), 8));
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return Status::IOError("state restore write: " + s.ToString());
    return Status::OK();
  }

  Result<std::vector<OwnedPartial>> Dump(KeyGroupRange range) override {
    std::vector<OwnedPartial> out;
    const std::string lower = StateKey(range.begin, INT64_MIN, "");
    const std::string upper = StateKey(range.end, INT64_MIN, "");
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(lower); it->Valid(); it->Next()) {
      PartialEntry e;
      if (!ParseState(it->key(), it->value(), &e)) continue;
      out.push_back({e.key_group, e.window_start_ms, e.window_end_ms, std::string(e.key),
                     std::string(e.state)});
    }
    if (!it->status().ok()) return Status::IOError("state scan: " + it->status().ToString());
    return out;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<const exec::CompiledQuery> query_;
};

}  // namespace

Result<std::unique_ptr<PlanStateStore>> PlanStateStore::Open(
    const std::string& dir, int64_t cache_bytes, std::shared_ptr<const exec::CompiledQuery> query) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create state directory " + dir + ": " + ec.message());
  rocksdb::Options options;
  options.create_if_missing = true;
  options.merge_operator = std::make_shared<AggregateMergeOperator>(query);
  int64_t budget = std::max<int64_t>(cache_bytes, 16 << 20);
  options.write_buffer_size = static_cast<size_t>(budget / 8);
  options.max_write_buffer_number = 2;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(static_cast<size_t>(budget / 4));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.max_background_jobs = 1;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return Status::IOError("cannot open state store " + dir + ": " + s.ToString());
  return std::unique_ptr<PlanStateStore>(
      new RocksDbPlanState(std::unique_ptr<rocksdb::DB>(raw), std::move(query)));
}

Status WritePlanDelta(StateCheckpoint* checkpoint, int64_t batch, int32_t attempt,
                      KeyGroupRange range, const std::vector<PartialEntry>& entries) {
  if (entries.empty()) return Status::OK();  // closings follow from the watermark
  std::string payload;
  for (const auto& e : entries) exec::AppendPartial(e, &payload);
  return checkpoint->WritePayload(false, batch, attempt, range, payload);
}

Status WritePlanSnapshot(StateCheckpoint* checkpoint, int64_t batch, int32_t attempt,
                         KeyGroupRange range, const std::vector<OwnedPartial>& state) {
  std::string payload;
  for (const auto& e : state) exec::AppendPartial(e.view(), &payload);
  return checkpoint->WritePayload(true, batch, attempt, range, payload);
}

Result<std::vector<OwnedPartial>> LoadPlanState(const StateCheckpoint& checkpoint,
                                                KeyGroupRange range, int64_t version,
                                                int64_t watermark_ms,
                                                const exec::CompiledQuery& query) {
  std::vector<StateCheckpoint::File> files;
  std::vector<int64_t> snap;
  SPATE_RETURN_IF_ERROR(checkpoint.ReadFiles(range, version, &files, &snap));
  const exec::AggregateSet& aggs = *query.aggregates();
  // Files come in batch order, so deltas replay in the order ApplyBatch merged them.
  std::map<uint32_t, Sessions> sessions;
  std::map<std::tuple<uint32_t, int64_t, std::string>, std::pair<int64_t, std::string>> merged;
  for (const auto& f : files) {
    exec::PartialDecoder decoder(f.payload);
    PartialEntry e;
    while (decoder.Next(&e)) {
      if (!range.Contains(e.key_group)) continue;
      const int64_t s = snap[e.key_group - range.begin];
      if (f.snapshot ? f.batch != s : f.batch <= s) continue;
      if (query.session()) {
        SPATE_RETURN_IF_ERROR(MergeSession(aggs, e, &sessions[e.key_group], nullptr));
      } else {
        auto& slot = merged[{e.key_group, e.window_start_ms, std::string(e.key)}];
        slot.first = e.window_end_ms;
        SPATE_RETURN_IF_ERROR(aggs.Merge(&slot.second, e.state));
      }
    }
    if (decoder.corrupt()) {
      return Status::Corruption("corrupt entries in the checkpoint file of batch " +
                                std::to_string(f.batch));
    }
  }
  std::vector<OwnedPartial> out;
  for (auto& [kg, ss] : sessions) {
    for (auto& [ks, v] : ss) {
      if (exec::CompiledQuery::Closed(v.first, watermark_ms)) continue;
      out.push_back({kg, ks.second, v.first, ks.first, std::move(v.second)});
    }
  }
  for (auto& [k, v] : merged) {
    if (exec::CompiledQuery::Closed(v.first, watermark_ms)) continue;  // closed by `version`
    const auto& [kg, start, key] = k;
    out.push_back({kg, start, v.first, key, std::move(v.second)});
  }
  std::sort(out.begin(), out.end(), [](const OwnedPartial& a, const OwnedPartial& b) {
    return std::tie(a.key_group, a.window_start_ms, a.key) <
           std::tie(b.key_group, b.window_start_ms, b.key);
  });
  return out;
}

}  // namespace spate::worker
