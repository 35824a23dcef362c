// Small durable files, one record each: the checkpoint dir's offset log, commit log and job
// metadata. A record file survives a crash or power loss at any moment: it is either the whole
// record or detected as not being one.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace spate {

/// Writes `payload` to `path` so that it is durable when this returns OK: a temporary file
/// next to it (`path` + ".tmp") is written and fsynced, renamed over `path`, and the directory
/// is fsynced (so is its parent when the directory had to be created). The file is a 16-byte
/// header — magic "SPR1", payload length (u32 LE), XXH3-64 of the payload (u64 LE) — then the
/// payload. Readers never see a partial file under `path`. Thread-safe for distinct paths.
Status WriteRecordFile(const std::string& path, std::string_view payload);

/// What ReadRecordFile found.
struct RecordFileContents {
  std::string payload;
  /// The file has no header: it was written before record files had one (a bare protobuf).
  /// Nothing vouches for it; the caller must check what it can (e.g. the batch id it names).
  bool legacy = false;
};

/// Reads a record file. NotFound when `path` does not exist; Corruption when it is empty, torn
/// (shorter than its header says), longer than that, or its checksum does not match; IOError
/// when it cannot be read.
Result<RecordFileContents> ReadRecordFile(const std::string& path);

}  // namespace spate
