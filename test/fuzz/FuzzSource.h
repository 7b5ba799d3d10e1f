//===- FuzzSource.h - a fuzz input as a .nn source buffer -------*- C++ -*-===//
#ifndef NNC_TEST_FUZZ_FUZZSOURCE_H
#define NNC_TEST_FUZZ_FUZZSOURCE_H

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>

namespace nnc::fuzz {

/// Adds the input's bytes (NUL-terminated copy) to `sourceMgr` as
/// "fuzz.nn"; returns the buffer's id.
inline unsigned addSource(llvm::SourceMgr &sourceMgr, const uint8_t *data,
                          size_t size) {
  return sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.nn"),
      llvm::SMLoc());
}

} // namespace nnc::fuzz

#endif // NNC_TEST_FUZZ_FUZZSOURCE_H
