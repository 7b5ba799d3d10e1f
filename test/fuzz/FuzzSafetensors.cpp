//===- FuzzSafetensors.cpp - the checkpoint loader ------------------------===//
//
// Any bytes as a checkpoint of fake_mnist (test/runtime/FakeModels.cpp):
// nnc_load and nnc_load_flags either load it or refuse it with an error;
// no crash, no allocation sized by an unchecked field (libFuzzer's
// -malloc_limit_mb catches those). Seed: a valid checkpoint.
//
//===----------------------------------------------------------------------===//
#include "runtime/nnc_runtime.h"
#include "test/fuzz/FuzzCommon.h"
#include "test/runtime/FakeModels.h"

static nnc_model *model;
static std::string path;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  model = nnc_create(&fake_mnist_def);
  if (!model || nnc_init(model, 1) != 0)
    std::abort();
  path = nnc::fuzz::scratchPath(".safetensors");
  if (const char *dir = nnc::fuzz::seedDir())
    if (nnc_save(model, (std::string(dir) + "/valid.safetensors").c_str(),
                 "{\"epoch\": 1}") != 0)
      std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nnc::fuzz::writeFile(path, data, size);
  (void)nnc_load(model, path.c_str());
  (void)nnc_load_flags(model, path.c_str(), NNC_LOAD_ALLOW_NONFINITE);
  return 0;
}
