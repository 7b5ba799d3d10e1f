//===- Model.h - the state of a compiled model (runtime-internal) -*- C++ -*-===//
#ifndef NNC_RUNTIME_MODEL_H
#define NNC_RUNTIME_MODEL_H

#include "runtime/nnc_runtime.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace nnc::rt {

/// An error the C ABI turns into -1 and nnc_last_error().
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

size_t dtypeSize(int dtype);

/// A tensor of the interface or a variable, as described by the compiler.
struct TensorInfo {
  std::string name;
  int dtype = NNC_F32;
  std::vector<int64_t> shape; // -1: the batch dim
  int64_t sampleSize() const; // elements per sample (all for variables)
};

struct VariableInfo : TensorInfo {
  bool trainable = true;
  int kind = NNC_PARAM;
  std::string init;
  double scale = 0;
  int64_t fanIn = 1, fanOut = 1;
};

/// Frees a Buffer's memory: std::free or CUDA's.
struct BufferFree {
  bool managed = false;
  void operator()(void *p) const;
};

/// Owned, 64-byte aligned, zeroed memory; with `managed`, CUDA managed
/// memory that the host and the device both address (Cuda.h).
struct Buffer {
  Buffer() = default;
  explicit Buffer(size_t bytes, bool managed = false);
  void *data() const { return ptr.get(); }
  size_t bytes = 0;

private:
  std::unique_ptr<void, BufferFree> ptr;
};

/// The description embedded in the compiled code (see docs/abi.md).
struct Description {
  std::string model;
  std::vector<VariableInfo> variables;
  std::vector<TensorInfo> inputs, targets, outputs;
  std::vector<std::string> metrics;
  bool hasLoss = false;
  /// normalize's statistics: the input they standardize and the variables
  /// (per-sample shape) that hold its mean and variance.
  struct Normalizer {
    std::string input;
    size_t mean, var;
  };
  std::vector<Normalizer> normalizers;
  double learningRate = 0.001;
  /// Scalars (lr, step, loss, metrics) are f64 when the model is, else f32.
  bool wideScalars = false;
  std::string trainJson; // the train settings, as JSON
  /// Compiled with --target=cuda: entry points run kernels on the GPU and
  /// take device pointers; the variables live in managed memory.
  bool cuda = false;
  /// What one call of an entry point ("train_step", "eval_step",
  /// "predict") holds in memory, from the compiler's liveness walk
  /// (passes/DescribeModel.cpp): the variables, and for the batch and the
  /// tensors of the call two lines a + b * batch whose larger is a lower
  /// bound of the peak.
  struct EntryMemory {
    int64_t variables = 0;
    double small[2] = {0, 0}, large[2] = {0, 0};
    double bytes(int64_t batch) const {
      return variables + std::max({0.0, small[0] + small[1] * batch,
                                   large[0] + large[1] * batch});
    }
  };
  std::map<std::string, EntryMemory> memory;

  static Description parse(const char *json);
};

/// Refuses a call of `entry` at `batch` whose memory (Description::memory,
/// an estimate from below) exceeds the machine's, before the run starts:
/// an error with the figures that says to lower --batch. A no-op for CUDA
/// models and entries the description does not measure.
void checkBatchFits(const nnc_model *m, const std::string &entry,
                    int64_t batch);

} // namespace nnc::rt

/// The C ABI's opaque model state.
struct nnc_model {
  const nnc_model_def *def;
  nnc::rt::Description desc;
  std::vector<nnc::rt::Buffer> variables;
  double lr = 0.001;
  int64_t step = 0;
  uint64_t seed = 0;
};

#endif // NNC_RUNTIME_MODEL_H
