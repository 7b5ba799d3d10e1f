//===- FuzzCommon.h - helpers of the fuzz targets ---------------*- C++ -*-===//
//
// The loaders under test read files: each input is written to a file of
// this process's own (in /dev/shm when there is one) and read back.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TEST_FUZZ_FUZZCOMMON_H
#define NNC_TEST_FUZZ_FUZZCOMMON_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace nnc::fuzz {

/// A file path of this process's own with `suffix`.
inline std::string scratchPath(const std::string &suffix) {
  const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/nnc-fuzz-" + std::to_string(getpid()) + suffix;
}

/// Writes `size` bytes to `path`; aborts if it cannot (not the input's
/// fault).
inline void writeFile(const std::string &path, const void *data,
                      size_t size) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

/// Where a target writes its seed inputs (scripts/fuzz.sh sets it when a
/// corpus is new), or null.
inline const char *seedDir() { return std::getenv("NNC_FUZZ_SEED_DIR"); }

} // namespace nnc::fuzz

#endif // NNC_TEST_FUZZ_FUZZCOMMON_H
