//===- FuzzCsv.cpp - the CSV loader ---------------------------------------===//
//
// Any bytes as a CSV file (plain, or gzip when they start with gzip's
// magic) with three feature columns and a label column "y": a split or an
// rt::Error, nothing else. Seed: a valid file.
//
//===----------------------------------------------------------------------===//
#include "runtime/Model.h"
#include "runtime/main/Formats.h"
#include "test/fuzz/FuzzCommon.h"

#include <cstring>

using namespace nnc::exe;

static std::string path;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  path = nnc::fuzz::scratchPath(".csv");
  if (const char *dir = nnc::fuzz::seedDir()) {
    const char *csv = "a,b,c,y\n1,2,3,0\n4.5,\"5\",-6e2,1\n7,8,9,2\n";
    nnc::fuzz::writeFile(std::string(dir) + "/valid.csv", csv,
                         std::strlen(csv));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const FieldSpec x = [] {
    FieldSpec s;
    s.role = "input";
    s.name = "x";
    s.type = "f32[batch, 3]";
    s.width = 3;
    return s;
  }();
  static const FieldSpec y = [] {
    FieldSpec s;
    s.role = "target";
    s.name = "y";
    s.type = "i32[batch]";
    s.dtype = NNC_I32;
    s.classes = 3;
    return s;
  }();
  nnc::fuzz::writeFile(path, data, size);
  for (bool labels : {true, false}) {
    try {
      Split split = readCsv(path, x, &y, labels);
      if (split.size() < 0)
        std::abort();
    } catch (const nnc::rt::Error &) {
    }
  }
  return 0;
}
