#include "worker/state_store.h"

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace spate::worker {
namespace {

void PutBigEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Flipping the sign bit makes signed window starts sort correctly as unsigned bytes.
constexpr uint64_t kSignFlip = uint64_t{1} << 63;

std::string EncodeCount(int64_t c) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &c, 8);
  return s;
}

int64_t DecodeCount(const rocksdb::Slice& s) {
  int64_t c = 0;
  if (s.size() == 8) std::memcpy(&c, s.data(), 8);
  return c;
}

void SortRows(std::vector<EmittedRow>* rows) {
  std::sort(rows->begin(), rows->end(), [](const EmittedRow& a, const EmittedRow& b) {
    if (a.window_start_ms != b.window_start_ms) return a.window_start_ms < b.window_start_ms;
    return a.key < b.key;
  });
}

// Where a range's version lives: after every state key (key groups are < 2^31).
std::string VersionKey(KeyGroupRange range) {
  std::string k = "\xff\xff\xff\xffversion/";
  PutBigEndian(range.begin, 4, &k);
  PutBigEndian(range.end, 4, &k);
  return k;
}

// Counts add up: merging a batch is one write, no read-modify-write.
class AddOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    int64_t sum = DecodeCount(value) + (existing ? DecodeCount(*existing) : 0);
    *new_value = EncodeCount(sum);
    return true;
  }
  const char* Name() const override { return "spate.add"; }
};

class RocksDbStateStore : public WindowStateStore {
 public:
  explicit RocksDbStateStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

  Result<ApplyResult> ApplyBatch(KeyGroupRange range, const std::vector<ShuffleEntry>& entries,
                                 int64_t watermark_ms, int64_t window_ms, int64_t having_more_than,
                                 int64_t version) override {
    ApplyResult result;
    rocksdb::WriteBatch batch;
    if (version >= 0) batch.Put(VersionKey(range), EncodeCount(version));
    // Closed windows first (read from the state before this batch: the batch's entries all
    // lie in open windows), then the merges; one atomic write.
    std::string lower = EncodeStateKey(range.begin, INT64_MIN, "");
    std::string upper = EncodeStateKey(range.end, INT64_MIN, "");
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(lower); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (k.size() < 12) continue;
      int64_t ws = static_cast<int64_t>(GetBigEndian(k.data() + 4, 8) ^ kSignFlip);
      int64_t end = ws > INT64_MAX - window_ms ? INT64_MAX : ws + window_ms;
      if (end <= watermark_ms) {
        int64_t count = DecodeCount(it->value());
        if (count > having_more_than) {
          result.rows.push_back({ws, std::string(k.data() + 12, k.size() - 12), count});
        }
        batch.Delete(k);
        ++result.windows_closed;
      }
    }
    if (!it->status().ok()) return Status::IOError("state scan: " + it->status().ToString());
    std::string key;
    for (const auto& e : entries) {
      key = EncodeStateKey(e.key_group, e.window_start_ms, e.key);
      batch.Merge(key, EncodeCount(e.count));
    }
    result.rows_merged = static_cast<int64_t>(entries.size());
    rocksdb::WriteOptions wo;
    wo.disableWAL = false;
    auto s = db_->Write(wo, &batch);
    if (!s.ok()) return Status::IOError("state write: " + s.ToString());
    // State is bounded by the watermark (open windows only), so a second scan for exact
    // figures is cheap.
    std::unique_ptr<rocksdb::Iterator> after(db_->NewIterator(ro));
    for (after->Seek(lower); after->Valid(); after->Next()) {
      ++result.state_rows;
      result.state_bytes += static_cast<int64_t>(after->key().size() + after->value().size());
    }
    SortRows(&result.rows);
    return result;
  }

  Result<int64_t> Version(KeyGroupRange range) override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), VersionKey(range), &value);
    if (s.IsNotFound()) return int64_t{-1};
    if (!s.ok()) return Status::IOError("state version read: " + s.ToString());
    return DecodeCount(value);
  }

  Status Reset(KeyGroupRange range, const std::vector<OwnedEntry>& entries,
               int64_t version) override {
    rocksdb::WriteBatch batch;
    batch.DeleteRange(db_->DefaultColumnFamily(), EncodeStateKey(range.begin, INT64_MIN, ""),
                      EncodeStateKey(range.end, INT64_MIN, ""));
    for (const auto& e : entries) {
      batch.Put(EncodeStateKey(e.key_group, e.window_start_ms, e.key), EncodeCount(e.count));
    }
    batch.Put(VersionKey(range), EncodeCount(version));
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return Status::IOError("state restore write: " + s.ToString());
    return Status::OK();
  }

  Result<std::vector<OwnedEntry>> Dump(KeyGroupRange range) override {
    std::vector<OwnedEntry> out;
    std::string lower = EncodeStateKey(range.begin, INT64_MIN, "");
    std::string upper = EncodeStateKey(range.end, INT64_MIN, "");
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(lower); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (k.size() < 12) continue;
      out.push_back({static_cast<uint32_t>(GetBigEndian(k.data(), 4)),
                     static_cast<int64_t>(GetBigEndian(k.data() + 4, 8) ^ kSignFlip),
                     std::string(k.data() + 12, k.size() - 12), DecodeCount(it->value())});
    }
    if (!it->status().ok()) return Status::IOError("state scan: " + it->status().ToString());
    return out;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

class MemoryStateStore : public WindowStateStore {
 public:
  Result<ApplyResult> ApplyBatch(KeyGroupRange range, const std::vector<ShuffleEntry>& entries,
                                 int64_t watermark_ms, int64_t window_ms, int64_t having_more_than,
                                 int64_t version) override {
    std::lock_guard<std::mutex> lock(mu_);
    ApplyResult result;
    if (version >= 0) versions_[{range.begin, range.end}] = version;
    for (auto it = state_.lower_bound(EncodeStateKey(range.begin, INT64_MIN, ""));
         it != state_.end() && it->first < EncodeStateKey(range.end, INT64_MIN, "");) {
      int64_t ws = static_cast<int64_t>(GetBigEndian(it->first.data() + 4, 8) ^ kSignFlip);
      int64_t end = ws > INT64_MAX - window_ms ? INT64_MAX : ws + window_ms;
      if (end <= watermark_ms) {
        if (it->second > having_more_than) {
          result.rows.push_back({ws, it->first.substr(12), it->second});
        }
        ++result.windows_closed;
        it = state_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& e : entries)
      state_[EncodeStateKey(e.key_group, e.window_start_ms, e.key)] += e.count;
    result.rows_merged = static_cast<int64_t>(entries.size());
    for (auto it = state_.lower_bound(EncodeStateKey(range.begin, INT64_MIN, ""));
         it != state_.end() && it->first < EncodeStateKey(range.end, INT64_MIN, ""); ++it) {
      ++result.state_rows;
      result.state_bytes += static_cast<int64_t>(it->first.size() + 8);
    }
    SortRows(&result.rows);
    return result;
  }

  Result<int64_t> Version(KeyGroupRange range) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = versions_.find({range.begin, range.end});
    return it == versions_.end() ? int64_t{-1} : it->second;
  }

  Status Reset(KeyGroupRange range, const std::vector<OwnedEntry>& entries,
               int64_t version) override {
    std::lock_guard<std::mutex> lock(mu_);
    state_.erase(state_.lower_bound(EncodeStateKey(range.begin, INT64_MIN, "")),
                 state_.lower_bound(EncodeStateKey(range.end, INT64_MIN, "")));
    for (const auto& e : entries)
      state_[EncodeStateKey(e.key_group, e.window_start_ms, e.key)] = e.count;
    versions_[{range.begin, range.end}] = version;
    return Status::OK();
  }

  Result<std::vector<OwnedEntry>> Dump(KeyGroupRange range) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<OwnedEntry> out;
    for (auto it = state_.lower_bound(EncodeStateKey(range.begin, INT64_MIN, ""));
         it != state_.end() && it->first < EncodeStateKey(range.end, INT64_MIN, ""); ++it) {
      out.push_back({static_cast<uint32_t>(GetBigEndian(it->first.data(), 4)),
                     static_cast<int64_t>(GetBigEndian(it->first.data() + 4, 8) ^ kSignFlip),
                     it->first.substr(12), it->second});
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, int64_t> state_;
  std::map<std::pair<uint32_t, uint32_t>, int64_t> versions_;
};

}  // namespace

std::string EncodeStateKey(uint32_t key_group, int64_t window_start_ms, std::string_view key) {
  std::string out;
  out.reserve(12 + key.size());
  PutBigEndian(key_group, 4, &out);
  PutBigEndian(static_cast<uint64_t>(window_start_ms) ^ kSignFlip, 8, &out);
  out.append(key);
  return out;
}

Result<std::unique_ptr<WindowStateStore>> OpenRocksDbStateStore(const std::string& dir,
                                                                int64_t cache_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create state directory " + dir + ": " + ec.message());
  rocksdb::Options options;
  options.create_if_missing = true;
  options.merge_operator = std::make_shared<AddOperator>();
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
  return std::unique_ptr<WindowStateStore>(
      std::make_unique<RocksDbStateStore>(std::unique_ptr<rocksdb::DB>(raw)));
}

std::unique_ptr<WindowStateStore> MakeMemoryStateStore() {
  return std::make_unique<MemoryStateStore>();
}

}  // namespace spate::worker
