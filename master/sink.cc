#include "master/sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/kafka_util.h"
#include "common/window.h"

namespace spate::master {
namespace {

class ConsoleSink : public Sink {
 public:
  Status WriteBatch(int64_t, const std::vector<proto::ResultRow>&) override { return Status::OK(); }
  std::string Describe() const override { return "console"; }
};

// One file per batch with rows, named after the batch id and made visible by rename, so a
// replay rewrites the same name and readers never see a partial file.
class FileSink : public Sink {
 public:
  FileSink(std::string dir, RowSchema schema) : dir_(std::move(dir)), schema_(std::move(schema)) {}

  Status WriteBatch(int64_t batch_id, const std::vector<proto::ResultRow>& rows) override {
    if (rows.empty()) return Status::OK();
    char name[64];
    std::snprintf(name, sizeof(name), "batch-%012" PRId64 ".jsonl", batch_id);
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
    ::fsync(fd);
    ::close(fd);
    if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
      return Status::IOError("rename to " + final_path + ": " + std::strerror(errno));
    }
    return Status::OK();
  }
  std::string Describe() const override { return "file:" + dir_; }

 private:
  std::string dir_;
  RowSchema schema_;
};

class KafkaSink : public Sink {
 public:
  KafkaSink(KafkaClientPtr producer, std::string topic, RowSchema schema)
      : producer_(std::move(producer)), topic_(std::move(topic)), schema_(std::move(schema)) {}

  Status WriteBatch(int64_t, const std::vector<proto::ResultRow>& rows) override {
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
    rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), 30'000);
    if (err) return KafkaErrorToStatus(err, "flush sink topic " + topic_);
    return Status::OK();
  }
  std::string Describe() const override { return "kafka:" + topic_; }

 private:
  KafkaClientPtr producer_;
  std::string topic_;
  RowSchema schema_;
};

}  // namespace

std::string RowToJson(const proto::ResultRow& row, const RowSchema& schema) {
  // nlohmann::json escapes the key, which comes from the outside world.
  return "{\"window_start\":\"" + FormatUtcSeconds(row.window_start_ms()) + "\",\"window_end\":\"" +
         FormatUtcSeconds(row.window_end_ms()) + "\"," + nlohmann::json(schema.key_column).dump() +
         ":" + nlohmann::json(row.key()).dump() + "," + nlohmann::json(schema.count_column).dump() +
         ":" + std::to_string(row.count()) + "}";
}

std::string FormatConsoleBatch(int64_t batch_id, const std::vector<proto::ResultRow>& rows,
                               const RowSchema& schema) {
  std::vector<std::array<std::string, 3>> cells;
  cells.push_back({"Interval", schema.key_column, schema.count_column});
  for (const auto& r : rows) {
    cells.push_back({"{" + FormatUtcSeconds(r.window_start_ms()) + ", " +
                         FormatUtcSeconds(r.window_end_ms()) + "}",
                     r.key(), std::to_string(r.count())});
  }
  size_t width[3] = {0, 0, 0};
  for (const auto& row : cells)
    for (int i = 0; i < 3; ++i) width[i] = std::max(width[i], row[i].size());
  std::string sep = "+";
  for (int i = 0; i < 3; ++i) sep += std::string(width[i], '-') + "+";
  std::string out =
      "-------------------------------------------\nBatch: " + std::to_string(batch_id) +
      "\n-------------------------------------------\n" + sep + "\n";
  for (size_t r = 0; r < cells.size(); ++r) {
    out += "|";
    for (int i = 0; i < 3; ++i) {
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

Result<std::unique_ptr<Sink>> MakeSink(const std::string& spec, const RowSchema& schema,
                                       const std::string& bootstrap) {
  SPATE_RETURN_IF_ERROR(ValidateSinkSpec(spec));
  if (spec == "console") return std::unique_ptr<Sink>(new ConsoleSink());
  if (spec.rfind("file:", 0) == 0) {
    std::string dir = spec.substr(5);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create sink directory " + dir + ": " + ec.message());
    return std::unique_ptr<Sink>(new FileSink(dir, schema));
  }
  std::string topic = spec.substr(6);
  SPATE_ASSIGN_OR_RETURN(auto producer,
                         MakeKafkaClient(RD_KAFKA_PRODUCER, bootstrap,
                                         {{"enable.idempotence", "true"}, {"linger.ms", "5"}}));
  SPATE_RETURN_IF_ERROR(PartitionCount(producer.get(), topic, 10'000).status().WithContext("sink"));
  return std::unique_ptr<Sink>(new KafkaSink(std::move(producer), topic, schema));
}

}  // namespace spate::master
