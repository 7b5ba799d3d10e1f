//===- GzFile.h - reading plain or gzip-compressed files --------*- C++ -*-===//
#ifndef NNC_RUNTIME_MAIN_GZFILE_H
#define NNC_RUNTIME_MAIN_GZFILE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::exe {

/// A file read through zlib, which reads plain and gzip files alike.
/// Errors throw rt::Error naming the file.
class GzFile {
public:
  explicit GzFile(std::string path);
  ~GzFile();
  GzFile(const GzFile &) = delete;
  GzFile &operator=(const GzFile &) = delete;

  /// Reads up to `bytes`; fewer only at the end of the file.
  size_t read(void *data, size_t bytes);
  /// The next line, without "\n" or "\r\n"; false at the end of the file.
  bool readLine(std::string &line);
  const std::string &path() const { return name; }
  /// The most bytes the file can hold once read: its size if it is plain,
  /// deflate's largest expansion of it if it is compressed. Valid after
  /// the first read.
  uint64_t maxBytes();
  uint64_t fileSize() const { return size; }
  /// Whether the file is gzip data (valid after the first read).
  bool compressed();

private:
  void *file = nullptr; // gzFile
  std::string name;
  uint64_t size = 0;
  std::vector<char> buffer; // readLine's
  size_t begin = 0, end = 0;
};

} // namespace nnc::exe

#endif // NNC_RUNTIME_MAIN_GZFILE_H
