//===- AtomicFile.cpp - files that are replaced whole or not at all -------===//
#include "runtime/AtomicFile.h"
#include "runtime/Model.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
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

/// The file name of `path` (after its last slash).
static std::string nameOf(const std::string &path) {
  return path.substr(path.rfind('/') + 1);
}

/// Whether `entry` is a temporary of the file named `name`: "." + name +
/// ".tmp." and mkstemp's 6 characters.
static bool isTemporaryOf(const std::string &entry, const std::string &name) {
  std::string prefix = "." + name + ".tmp.";
  return entry.size() == prefix.size() + 6 &&
         entry.compare(0, prefix.size(), prefix) == 0;
}

void nnc::rt::removeStaleTemporaries(const std::string &path) {
  std::string folder = folderOf(path), name = nameOf(path);
  DIR *dir = opendir(folder.c_str());
  if (!dir)
    return;
  while (dirent *entry = readdir(dir))
    if (isTemporaryOf(entry->d_name, name))
      unlink((folder + "/" + entry->d_name).c_str());
  closedir(dir);
}

/// Crash injection for the crash tests: NNC_TEST_CRASH_AT=POINT[:N] kills
/// the process (SIGKILL, as kill -9 would) in the N-th commit (default the
/// first) at POINT: mid_write (the temporary cut to half of the bytes
/// written, as a write interrupted there leaves it), before_rename (the
/// temporary complete and fsynced), after_rename (before the folder's
/// fsync).
static void crashPoint(const char *point, int fd = -1, size_t written = 0) {
  static const char *spec = std::getenv("NNC_TEST_CRASH_AT");
  static long commits = 0;
  if (!spec)
    return;
  if (std::strcmp(point, "commit") == 0) {
    ++commits;
    return;
  }
  size_t n = std::strlen(point);
  if (std::strncmp(spec, point, n) != 0 || (spec[n] != 0 && spec[n] != ':'))
    return;
  long wanted = spec[n] == ':' ? std::atol(spec + n + 1) : 1;
  if (commits != wanted)
    return;
  if (fd >= 0 && ftruncate(fd, (off_t)(written / 2)) != 0)
    return;
  raise(SIGKILL);
}

AtomicFile::AtomicFile(std::string target) : path(std::move(target)) {
  // A killed process cannot remove its temporary: the next write of the
  // same file does (one writer per file at a time).
  removeStaleTemporaries(path);
  std::string name = nameOf(path);
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
  written += bytes;
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
  crashPoint("commit");
  crashPoint("mid_write", fd, written);
  if (fsync(fd) != 0)
    fail("fsync failed");
  int closed = close(fd);
  fd = -1;
  if (closed != 0)
    fail("close failed");
  crashPoint("before_rename");
  if (std::rename(temp.c_str(), path.c_str()) != 0)
    fail("rename failed");
  temp.clear();
  crashPoint("after_rename");
  // Make the rename itself durable.
  int dir = open(folderOf(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir < 0)
    fail("cannot open its folder to make the rename durable");
  // Folders that cannot be fsynced (EINVAL: some network and FUSE file
  // systems) are left to the file system.
  int synced = fsync(dir);
  int error = errno;
  close(dir);
  errno = error;
  if (synced != 0 && error != EINVAL)
    fail("fsync of its folder failed");
}
