// Record files: whole or detected as not whole.
#include "common/record_file.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/process.h"

namespace spate {
namespace {

using spate::testing::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void Spit(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

TEST_CASE("a record file reads back what was written and leaves no temporary file", "[unit]") {
  TempDir dir("spate-record");
  const std::string path = dir.Join("log/sub/000000000007");  // directories are created
  REQUIRE(WriteRecordFile(path, std::string("payload\0with nul", 16)).ok());
  auto back = ReadRecordFile(path);
  REQUIRE(back.ok());
  CHECK(back->payload == std::string("payload\0with nul", 16));
  CHECK_FALSE(back->legacy);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  // Rewriting replaces it whole; an empty payload is a record too.
  REQUIRE(WriteRecordFile(path, "").ok());
  back = ReadRecordFile(path);
  REQUIRE(back.ok());
  CHECK(back->payload.empty());
}

TEST_CASE("a missing record file is NotFound", "[unit]") {
  TempDir dir("spate-record");
  CHECK(ReadRecordFile(dir.Join("nothing")).status().code() == StatusCode::kNotFound);
}

TEST_CASE("an empty, torn, extended or garbled record file is Corruption", "[unit]") {
  TempDir dir("spate-record");
  const std::string path = dir.Join("record");
  REQUIRE(WriteRecordFile(path, "the batch's plan, a few bytes long").ok());
  const std::string whole = Slurp(path);
  // Every cut, from nothing to one byte short.
  for (size_t n = 0; n < whole.size(); ++n) {
    INFO("cut at " << n);
    Spit(path, whole.substr(0, n));
    CHECK(ReadRecordFile(path).status().code() == StatusCode::kCorruption);
  }
  Spit(path, whole + "x");
  CHECK(ReadRecordFile(path).status().code() == StatusCode::kCorruption);
  // Every single flipped bit in the header's length and checksum or in the payload.
  for (size_t i = 4; i < whole.size(); ++i) {
    std::string garbled = whole;
    garbled[i] = static_cast<char>(garbled[i] ^ 0x10);
    INFO("byte " << i << " garbled");
    Spit(path, garbled);
    CHECK(ReadRecordFile(path).status().code() == StatusCode::kCorruption);
  }
}

TEST_CASE("a file without a record header reads as a legacy payload", "[unit]") {
  TempDir dir("spate-record");
  const std::string path = dir.Join("old");
  Spit(path, "\x08\x05");  // a bare protobuf, as written before record files had a header
  auto back = ReadRecordFile(path);
  REQUIRE(back.ok());
  CHECK(back->legacy);
  CHECK(back->payload == "\x08\x05");
}

}  // namespace
}  // namespace spate
