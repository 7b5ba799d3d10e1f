//===- Format.h - number formatting shared by reports ------------*- C++ -*-===//
//
// Header-only and dependency-free: used by the executable's `summary`
// (runtime/main) and by the compiler's `--emit=summary` (passes/).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_FORMAT_H
#define NNC_RUNTIME_FORMAT_H

#include <cstdint>
#include <string>

namespace nnc::rt {

/// 101770 -> "101,770".
inline std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-')
      out += ',';
    out += digits[i];
  }
  return out;
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_FORMAT_H
