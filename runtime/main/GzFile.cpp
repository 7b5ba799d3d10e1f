//===- GzFile.cpp - reading plain or gzip-compressed files ----------------===//
#include "runtime/main/GzFile.h"
#include "runtime/Model.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

using namespace nnc::exe;
using nnc::rt::Error;

GzFile::GzFile(std::string path) : name(std::move(path)) {
  struct stat st;
  if (stat(name.c_str(), &st) != 0)
    throw Error("cannot open " + name + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    throw Error("cannot open " + name + ": it is a folder, not a file");
  size = (uint64_t)st.st_size;
  file = gzopen(name.c_str(), "rb");
  if (!file)
    throw Error("cannot open " + name + ": " +
                std::strerror(errno ? errno : ENOMEM));
  gzbuffer(static_cast<gzFile>(file), 1 << 17);
}

GzFile::~GzFile() { gzclose(static_cast<gzFile>(file)); }

bool GzFile::compressed() { return !gzdirect(static_cast<gzFile>(file)); }

uint64_t GzFile::maxBytes() {
  if (!compressed())
    return size;
  // deflate expands at most ~1032:1 (zlib's FAQ; 258 bytes per 2 bits).
  constexpr uint64_t kMaxRatio = 1032;
  return size > UINT64_MAX / kMaxRatio ? UINT64_MAX : size * kMaxRatio;
}

/// zlib's error, if any, without the file name it puts first.
static std::string gzProblem(gzFile file, const std::string &name) {
  int code = Z_OK;
  std::string message = gzerror(file, &code);
  if (code == Z_OK)
    return "";
  if (code == Z_ERRNO)
    return std::strerror(errno);
  if (message.rfind(name + ": ", 0) == 0)
    message.erase(0, name.size() + 2);
  return code == Z_BUF_ERROR ? message + " (truncated gzip data)" : message;
}

size_t GzFile::read(void *data, size_t bytes) {
  gzFile f = static_cast<gzFile>(file);
  size_t done = 0;
  while (done < bytes) {
    unsigned chunk = (unsigned)std::min<size_t>(bytes - done, 1u << 30);
    int n = gzread(f, static_cast<char *>(data) + done, chunk);
    if (n <= 0)
      break;
    done += (size_t)n;
  }
  // zlib reports a truncated or corrupt stream only as an error state.
  std::string problem = gzProblem(f, name);
  if (!problem.empty())
    throw Error("cannot read " + name + ": " + problem);
  return done;
}

bool GzFile::readLine(std::string &line) {
  line.clear();
  if (buffer.empty())
    buffer.resize(1 << 16);
  bool newline = false;
  while (!newline) {
    if (begin == end) {
      begin = 0;
      end = read(buffer.data(), buffer.size());
      if (end == 0) {
        if (line.empty())
          return false;
        break; // a last line without "\n"
      }
    }
    char *start = buffer.data() + begin;
    char *found = static_cast<char *>(std::memchr(start, '\n', end - begin));
    newline = found != nullptr;
    size_t n = newline ? (size_t)(found - start) : end - begin;
    line.append(start, n);
    begin += n + newline;
  }
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return true;
}
