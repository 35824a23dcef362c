#include "worker/sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/kafka_props.h"
#include "common/kafka_util.h"
#include "common/window.h"

namespace spate::worker {
namespace {

class ConsoleSink : public Sink {
 public:
  Status WriteBatch(int64_t, int32_t, const std::vector<proto::ResultRow>&) override {
    return Status::OK();
  }
  std::string Describe() const override { return "console"; }
};

// One file per batch and part with rows, named after both and made visible by rename, so a
// replay rewrites the same name and readers never see a partial file.
class FileSink : public Sink {
 public:
  FileSink(std::string dir, RowSchema schema) : dir_(std::move(dir)), schema_(std::move(schema)) {}

  Status WriteBatch(int64_t batch_id, int32_t part,
                    const std::vector<proto::ResultRow>& rows) override {
    if (rows.empty()) return Status::OK();
    char name[64];
    std::snprintf(name, sizeof(name), "batch-%012" PRId64 "-%05d.jsonl", batch_id, part);
    std::string final_path = dir_ + "/" + name;
    std::string tmp_path = dir_ + "/." + name + ".tmp";
    std::string data;
    for (const auto& r : rows) data += RowToJson(r, schema_) + "\n";
    int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return Status::IOError("cannot write " + tmp_path + ": " + std::strerror(errno));
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(fd, data.data() + off, data.size() - off);
      if (n < 0) {
        ::close(fd);
        return Status::IOError("write " + tmp_path + ": " + std::strerror(errno));
      }
      off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
      ::close(fd);
      return Status::IOError("fsync " + tmp_path + ": " + std::strerror(errno));
    }
    ::close(fd);
    if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
      return Status::IOError("rename to " + final_path + ": " + std::strerror(errno));
    }
    // The rename is durable once the directory is.
    int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
    return Status::OK();
  }
  std::string Describe() const override { return "file:" + dir_; }

 private:
  std::string dir_;
  RowSchema schema_;
};

// Exactly once for read_committed consumers: each part of a batch is produced in one Kafka
// transaction that also commits a marker (the next batch id, as the offset of a consumer group
// of the part's own) to partition 0 of the sink topic. A replayed part whose marker says it
// was written is skipped; a transaction cut short by a crash is aborted by Kafka, and the
// part's stable transactional.id fences an older executor still writing it.
class KafkaSink : public Sink {
 public:
  KafkaSink(KafkaClientPtr producer, KafkaClientPtr marker_reader, std::string topic,
            std::string group, RowSchema schema)
      : producer_(std::move(producer)),
        marker_reader_(std::move(marker_reader)),
        topic_(std::move(topic)),
        group_(std::move(group)),
        schema_(std::move(schema)) {}

  Status WriteBatch(int64_t batch_id, int32_t, const std::vector<proto::ResultRow>& rows) override {
    SPATE_ASSIGN_OR_RETURN(int64_t written, Marker());
    if (written > batch_id) return Status::OK();  // an earlier attempt committed this batch
    SPATE_RETURN_IF_ERROR(Check(rd_kafka_begin_transaction(producer_.get()), "begin transaction"));
    Status s = Produce(rows);
    if (s.ok()) s = CommitMarker(batch_id + 1);
    if (s.ok())
      s = Check(rd_kafka_commit_transaction(producer_.get(), 60'000), "commit transaction");
    if (!s.ok()) {
      rd_kafka_error_t* e = rd_kafka_abort_transaction(producer_.get(), 30'000);
      if (e) rd_kafka_error_destroy(e);
    }
    return s;
  }
  std::string Describe() const override { return "kafka:" + topic_; }

 private:
  Status Check(rd_kafka_error_t* error, const std::string& what) {
    if (!error) return Status::OK();
    std::string msg = "sink topic " + topic_ + ": " + what + ": " + rd_kafka_error_string(error);
    bool retriable = rd_kafka_error_is_retriable(error) || rd_kafka_error_txn_requires_abort(error);
    rd_kafka_error_destroy(error);
    return retriable ? Status::Unavailable(msg) : Status::Internal(msg);
  }

  Status Produce(const std::vector<proto::ResultRow>& rows) {
    for (const auto& r : rows) {
      std::string value = RowToJson(r, schema_);
      rd_kafka_resp_err_t err;
      do {
        err = rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
                                RD_KAFKA_V_KEY(r.key().data(), r.key().size()),
                                RD_KAFKA_V_VALUE(value.data(), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer_.get(), 100);
      } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
      if (err) return KafkaErrorToStatus(err, "produce to sink topic " + topic_);
    }
    return Status::OK();
  }

  Status CommitMarker(int64_t next_batch) {
    KafkaPartitionListPtr offsets(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(offsets.get(), topic_.c_str(), 0)->offset = next_batch;
    rd_kafka_consumer_group_metadata_t* meta = rd_kafka_consumer_group_metadata_new(group_.c_str());
    Status s =
        Check(rd_kafka_send_offsets_to_transaction(producer_.get(), offsets.get(), meta, 30'000),
              "commit the batch marker");
    rd_kafka_consumer_group_metadata_destroy(meta);
    return s;
  }

  // The next batch the sink expects (-1: none written yet).
  Result<int64_t> Marker() {
    KafkaPartitionListPtr parts(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(parts.get(), topic_.c_str(), 0);
    rd_kafka_resp_err_t err = rd_kafka_committed(marker_reader_.get(), parts.get(), 30'000);
    if (err) return KafkaErrorToStatus(err, "read the batch marker of sink topic " + topic_);
    int64_t offset = parts->elems[0].offset;
    return offset < 0 ? int64_t{-1} : offset;
  }

  KafkaClientPtr producer_;
  KafkaClientPtr marker_reader_;
  std::string topic_;
  std::string group_;
  RowSchema schema_;
};

}  // namespace

std::string RowToJson(const proto::ResultRow& row, const RowSchema& schema) {
  if (!row.json().empty()) return row.json();
  // nlohmann::json escapes the key, which comes from the outside world.
  return "{\"window_start\":\"" + FormatUtcSeconds(row.window_start_ms()) + "\",\"window_end\":\"" +
         FormatUtcSeconds(row.window_end_ms()) + "\"," + nlohmann::json(schema.key_column).dump() +
         ":" + nlohmann::json(row.key()).dump() + "," + nlohmann::json(schema.count_column).dump() +
         ":" + std::to_string(row.count()) + "}";
}

std::string FormatConsoleBatch(int64_t batch_id, const std::vector<proto::ResultRow>& rows,
                               const RowSchema& schema) {
  std::vector<std::vector<std::string>> cells;
  // The exercise's shape (window_start, window_end, then columns) prints its window as one
  // Interval column, as Spark prints the window struct.
  const bool interval = schema.columns.size() > 2 && schema.columns[0] == "window_start" &&
                        schema.columns[1] == "window_end";
  if (!schema.columns.empty()) {
    // A SQL job's rows: one column per output column, strings bare, NULL as NULL.
    if (interval) {
      cells.push_back({"Interval"});
      cells[0].insert(cells[0].end(), schema.columns.begin() + 2, schema.columns.end());
    } else {
      cells.push_back(schema.columns);
    }
    for (const auto& r : rows) {
      auto& line = cells.emplace_back();
      nlohmann::ordered_json j = nlohmann::ordered_json::parse(r.json(), nullptr, false);
      if (interval) {
        line.push_back("{" + FormatUtcSeconds(r.window_start_ms()) + ", " +
                       FormatUtcSeconds(r.window_end_ms()) + "}");
      }
      for (size_t ci = interval ? 2 : 0; ci < schema.columns.size(); ++ci) {
        const std::string& c = schema.columns[ci];
        if (!j.is_object() || !j.contains(c) || j[c].is_null()) {
          line.push_back("NULL");
        } else if (j[c].is_string()) {
          line.push_back(j[c].get<std::string>());
        } else {
          line.push_back(j[c].dump());
        }
      }
    }
  } else {
    cells.push_back({"Interval", schema.key_column, schema.count_column});
    for (const auto& r : rows) {
      cells.push_back({"{" + FormatUtcSeconds(r.window_start_ms()) + ", " +
                           FormatUtcSeconds(r.window_end_ms()) + "}",
                       r.key(), std::to_string(r.count())});
    }
  }
  const size_t n = cells[0].size();
  std::vector<size_t> width(n, 0);
  for (const auto& row : cells)
    for (size_t i = 0; i < n; ++i) width[i] = std::max(width[i], row[i].size());
  std::string sep = "+";
  for (size_t i = 0; i < n; ++i) sep += std::string(width[i], '-') + "+";
  std::string out =
      "-------------------------------------------\nBatch: " + std::to_string(batch_id) +
      "\n-------------------------------------------\n" + sep + "\n";
  for (size_t r = 0; r < cells.size(); ++r) {
    out += "|";
    for (size_t i = 0; i < n; ++i) {
      out += cells[r][i] + std::string(width[i] - cells[r][i].size(), ' ') + "|";
    }
    out += "\n";
    if (r == 0) out += sep + "\n";
  }
  out += sep + "\n";
  return out;
}

Status ValidateSinkSpec(const std::string& spec) {
  if (spec == "console") return Status::OK();
  if (spec.rfind("file:", 0) == 0 && spec.size() > 5) return Status::OK();
  if (spec.rfind("kafka:", 0) == 0 && spec.size() > 6) return ValidateTopicName(spec.substr(6));
  return Status::InvalidArgument("invalid sink '" + spec +
                                 "' (use console, file:DIR or kafka:TOPIC)");
}

SinkOptions SinkOptionsOf(const proto::JobSpec& spec, const std::string& job_id) {
  SinkOptions o;
  o.spec = spec.sink();
  o.bootstrap = spec.bootstrap();
  // The job's Kafka client settings (security above all) apply to the sink too; the sink
  // table's own 'properties.*' win.
  o.properties = KafkaPropertiesOfConf(spec.conf());
  if (spec.has_plan()) {
    const auto& sink = spec.plan().sink();
    if (!sink.bootstrap().empty()) o.bootstrap = sink.bootstrap();
    o.properties.insert(sink.properties().begin(), sink.properties().end());
    for (const auto& c : spec.plan().outputs()) o.schema.columns.push_back(c.name());
  }
  o.sink_id = spec.checkpoint_dir().empty() ? job_id : spec.checkpoint_dir();
  return o;
}

std::map<std::string, std::string> SourceKafkaProperties(const proto::JobSpec& spec) {
  std::map<std::string, std::string> out;
  if (spec.has_plan())
    out.insert(spec.plan().source().properties().begin(), spec.plan().source().properties().end());
  for (auto& [k, v] : KafkaPropertiesOfConf(spec.conf())) out[k] = v;
  return out;
}

std::string KafkaSinkTransactionalId(const std::string& sink_id, const std::string& topic,
                                     int32_t part) {
  const std::string what = sink_id + "|" + topic + "|" + std::to_string(part);
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(what.data(), what.size())));
  return std::string("spate-") + hex;
}

Result<std::unique_ptr<Sink>> MakeSink(const SinkOptions& options, int32_t part) {
  const std::string& spec = options.spec;
  SPATE_RETURN_IF_ERROR(ValidateSinkSpec(spec));
  if (spec == "console") return std::unique_ptr<Sink>(new ConsoleSink());
  if (spec.rfind("file:", 0) == 0) {
    std::string dir = spec.substr(5);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create sink directory " + dir + ": " + ec.message());
    return std::unique_ptr<Sink>(new FileSink(dir, options.schema));
  }
  std::string topic = spec.substr(6);
  const std::string id = KafkaSinkTransactionalId(options.sink_id, topic, part);
  std::map<std::string, std::string> conf = options.properties;
  conf["enable.idempotence"] = "true";
  conf["transactional.id"] = id;
  if (!conf.count("linger.ms")) conf["linger.ms"] = "5";
  SPATE_ASSIGN_OR_RETURN(auto producer,
                         MakeKafkaClient(RD_KAFKA_PRODUCER, options.bootstrap, conf));
  SPATE_RETURN_IF_ERROR(PartitionCount(producer.get(), topic, 10'000).status().WithContext("sink"));
  if (rd_kafka_error_t* e = rd_kafka_init_transactions(producer.get(), 30'000)) {
    std::string msg = rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    return Status::Unavailable("sink topic " + topic + ": cannot start transactions: " + msg);
  }
  // The marker reader speaks to the same cluster with the same security settings.
  std::map<std::string, std::string> reader_conf = options.properties;
  reader_conf["group.id"] = id;
  reader_conf["enable.auto.commit"] = "false";
  SPATE_ASSIGN_OR_RETURN(auto reader,
                         MakeKafkaClient(RD_KAFKA_CONSUMER, options.bootstrap, reader_conf));
  return std::unique_ptr<Sink>(
      new KafkaSink(std::move(producer), std::move(reader), topic, id, options.schema));
}

}  // namespace spate::worker
