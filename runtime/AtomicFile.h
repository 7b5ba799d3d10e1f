//===- AtomicFile.h - files replaced whole or not at all --------*- C++ -*-===//
#ifndef NNC_RUNTIME_ATOMICFILE_H
#define NNC_RUNTIME_ATOMICFILE_H

#include <cstddef>
#include <string>

namespace nnc::rt {

/// Writes a file atomically: the bytes go to a temporary file in the same
/// folder, which commit() flushes to disk (fsync) and renames over `path`.
/// Until then `path` is untouched; a file that is destroyed uncommitted (an
/// error, an exception) removes its temporary. Errors throw rt::Error naming
/// `path`.
class AtomicFile {
public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;

  void write(const void *data, size_t bytes);
  void write(const std::string &text) { write(text.data(), text.size()); }
  void commit();

private:
  void discard();
  [[noreturn]] void fail(const std::string &what);
  std::string path, temp;
  int fd = -1;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_ATOMICFILE_H
