#include "common/record_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace spate {
namespace {

namespace fs = std::filesystem;
constexpr char kMagic[4] = {'S', 'P', 'R', '1'};  // 'S' opens no field of our protobufs
constexpr size_t kHeader = 16;

std::string Errno() { return std::strerror(errno); }

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot write " + path + ": " + Errno());
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::IOError("cannot open directory " + dir + ": " + Errno());
  const bool ok = ::fsync(fd) == 0;
  const std::string err = ok ? "" : Errno();
  ::close(fd);
  if (!ok) return Status::IOError("cannot sync directory " + dir + ": " + err);
  return Status::OK();
}

void PutLe(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

}  // namespace

Status WriteRecordFile(const std::string& path, std::string_view payload) {
  if (payload.size() > UINT32_MAX) return Status::InvalidArgument("record too large: " + path);
  const std::string dir = fs::path(path).parent_path().string();
  std::error_code ec;
  const bool created = !dir.empty() && fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  std::string data(kMagic, sizeof(kMagic));
  PutLe(payload.size(), 4, &data);
  PutLe(XXH3_64bits(payload.data(), payload.size()), 8, &data);
  data.append(payload);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot write " + tmp + ": " + Errno());
  Status s = WriteAll(fd, data, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IOError("cannot sync " + tmp + ": " + Errno());
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::IOError("cannot rename " + tmp + " to " + path + ": " + Errno());
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // The rename is durable only once the directory is; a new directory's own entry likewise.
  SPATE_RETURN_IF_ERROR(SyncDir(dir));
  if (created) SPATE_RETURN_IF_ERROR(SyncDir(fs::path(dir).parent_path().string()));
  return Status::OK();
}

Result<RecordFileContents> ReadRecordFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec) && !ec) return Status::NotFound("no record file " + path);
    return Status::IOError("cannot read " + path);
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError("cannot read " + path);
  if (data.empty()) return Status::Corruption("record file " + path + " is empty");
  RecordFileContents out;
  const size_t magic = std::min(data.size(), sizeof(kMagic));
  if (std::memcmp(data.data(), kMagic, magic) != 0) {
    out.legacy = true;
    out.payload = std::move(data);
    return out;
  }
  if (data.size() < kHeader)
    return Status::Corruption("record file " + path + " is torn");  // header cut short
  const uint64_t len = GetLe(data.data() + 4, 4);
  const uint64_t hash = GetLe(data.data() + 8, 8);
  if (data.size() != kHeader + len) {
    return Status::Corruption("record file " + path +
                              " is torn: " + std::to_string(data.size() - kHeader) + " bytes of " +
                              std::to_string(len));
  }
  if (XXH3_64bits(data.data() + kHeader, len) != hash) {
    return Status::Corruption("record file " + path + " is corrupt: checksum mismatch");
  }
  out.payload = data.substr(kHeader);
  return out;
}

}  // namespace spate
