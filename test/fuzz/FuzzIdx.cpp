//===- FuzzIdx.cpp - the IDX loader ---------------------------------------===//
//
// Any bytes as an IDX file (plain, or gzip when they start with gzip's
// magic), read as 28x28 images and as labels: a field or an rt::Error,
// nothing else. Seeds: valid images and labels.
//
//===----------------------------------------------------------------------===//
#include "runtime/Model.h"
#include "runtime/main/Formats.h"
#include "test/fuzz/FuzzCommon.h"

#include <vector>

using namespace nnc::exe;

static std::string path;

static FieldSpec spec(const char *role, const char *name, const char *type,
                      int dtype, int64_t width, int64_t classes) {
  FieldSpec s;
  s.role = role;
  s.name = name;
  s.type = type;
  s.dtype = dtype;
  s.width = width;
  s.classes = classes;
  return s;
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  path = nnc::fuzz::scratchPath(".idx");
  if (const char *dir = nnc::fuzz::seedDir()) {
    std::vector<unsigned char> images = {0, 0, 8, 3, 0, 0, 0, 2,
                                         0, 0, 0, 28, 0, 0, 0, 28};
    for (int i = 0; i < 2 * 784; ++i)
      images.push_back((unsigned char)(i * 7));
    nnc::fuzz::writeFile(std::string(dir) + "/images", images.data(),
                         images.size());
    unsigned char labels[] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 9, 0};
    nnc::fuzz::writeFile(std::string(dir) + "/labels", labels,
                         sizeof labels);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const FieldSpec images =
      spec("input", "image", "f32[batch, 28, 28]", NNC_F32, 784, 0);
  static const FieldSpec labels =
      spec("target", "label", "i32[batch]", NNC_I32, 1, 10);
  nnc::fuzz::writeFile(path, data, size);
  for (const FieldSpec *s : {&images, &labels}) {
    try {
      Field field = readIdx(path, *s);
      if (field.count() < 0)
        std::abort();
    } catch (const nnc::rt::Error &) {
    }
  }
  return 0;
}
