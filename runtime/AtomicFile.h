//===- AtomicFile.h - files replaced whole or not at all --------*- C++ -*-===//
#ifndef NNC_RUNTIME_ATOMICFILE_H
#define NNC_RUNTIME_ATOMICFILE_H

#include <cstddef>
#include <string>

namespace nnc::rt {

/// Removes the temporaries that writes of `path` left behind (a killed
/// process cannot remove its own): ".NAME.tmp.XXXXXX" in its folder.
void removeStaleTemporaries(const std::string &path);

/// Writes a file atomically: the bytes go to a temporary file in the same
/// folder, which commit() flushes to disk (fsync), renames over `path` and
/// makes durable (fsync of the folder). Until then `path` is untouched; a
/// file that is destroyed uncommitted (an error, an exception) removes its
/// temporary, and the next AtomicFile of the same path removes those of
/// killed processes. Errors throw rt::Error naming `path`.
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
  size_t written = 0;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_ATOMICFILE_H
