//===- AtomicFile.cpp - files that are replaced whole or not at all -------===//
#include "runtime/AtomicFile.h"
#include "runtime/Model.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace nnc::rt;

static std::string folderOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// The mode a new file gets from open(0666) under the process's umask
/// (mkstemp creates 0600).
static mode_t newFileMode() {
  mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

AtomicFile::AtomicFile(std::string target) : path(std::move(target)) {
  std::string name = path.substr(path.rfind('/') + 1);
  temp = folderOf(path) + "/." + name + ".tmp.XXXXXX";
  fd = mkstemp(temp.data());
  if (fd < 0) {
    temp.clear();
    fail("cannot create a temporary file in " + folderOf(path));
  }
  if (fchmod(fd, newFileMode()) != 0)
    fail("cannot set the mode of " + temp);
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (fd >= 0)
    close(fd);
  fd = -1;
  if (!temp.empty())
    unlink(temp.c_str());
  temp.clear();
}

void AtomicFile::fail(const std::string &what) {
  std::string reason = std::strerror(errno);
  discard();
  throw Error("cannot write " + path + ": " + what + " (" + reason + ")");
}

void AtomicFile::write(const void *data, size_t bytes) {
  const char *p = static_cast<const char *>(data);
  while (bytes > 0) {
    ssize_t n = ::write(fd, p, bytes);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      fail("write failed");
    p += n;
    bytes -= (size_t)n;
  }
}

void AtomicFile::commit() {
  if (fsync(fd) != 0)
    fail("fsync failed");
  int closed = close(fd);
  fd = -1;
  if (closed != 0)
    fail("close failed");
  if (std::rename(temp.c_str(), path.c_str()) != 0)
    fail("rename failed");
  temp.clear();
  // Make the rename itself durable.
  int dir = open(folderOf(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
}
