//===- Jit.h - compile .nn models at run time from C++ ----------*- C++ -*-===//
//
// The C++ JIT of nnc: compiles .nn source in-process with the same pipeline
// and ABI as `nnc --emit=obj`, and gives model states with the operations
// of the C ABI (runtime/nnc_runtime.h).
//
//   auto code = nnc::compileFile("mlp.nn");     // throws nnc::JitError
//   nnc::Model model(code);
//   model.init(42);
//   model.predict(batch, {images}, {probs});
//
// Compiling the same source with the same options again in one process
// returns the first result. Thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CODEGEN_JIT_H
#define NNC_CODEGEN_JIT_H

#include "runtime/nnc_runtime.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace nnc {

/// A compile or run-time error; what() holds the diagnostics.
struct JitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct JitOptions {
  unsigned optLevel = 2;
  /// The CPU to generate code for ("native": the host's).
  std::string targetCpu = "native";
};

/// Compiled code of one model: immutable, shared by the models made from it.
class CompiledModel {
public:
  struct Impl;
  explicit CompiledModel(std::unique_ptr<Impl> impl);
  ~CompiledModel();
  /// The table the C ABI creates models from (nnc_create).
  const nnc_model_def *definition() const;
  const std::string &name() const;

private:
  std::unique_ptr<Impl> impl;
};

/// Compiles .nn source text; `filename` names it in diagnostics.
std::shared_ptr<const CompiledModel>
compile(const std::string &source, const std::string &filename = "model.nn",
        const JitOptions &options = {});
/// Compiles a .nn file.
std::shared_ptr<const CompiledModel>
compileFile(const std::string &path, const JitOptions &options = {});

/// A model state: its parameters and the operations of the C ABI.
class Model {
public:
  explicit Model(std::shared_ptr<const CompiledModel> code);
  ~Model();
  Model(Model &&other) noexcept;
  Model &operator=(Model &&other) noexcept;
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  void init(uint64_t seed);
  /// Inference: one pointer per input and per output (see numInputs...).
  void predict(int64_t batch, const std::vector<const void *> &inputs,
               const std::vector<void *> &outputs);

  /// One training step (forward, backward, optimizer update in place) on
  /// a batch; returns the loss, then each metric.
  std::vector<double> trainStep(int64_t batch,
                                const std::vector<const void *> &inputs,
                                const std::vector<const void *> &targets);
  /// The loss and metrics in inference mode; nothing is updated.
  std::vector<double> evalStep(int64_t batch,
                               const std::vector<const void *> &inputs,
                               const std::vector<const void *> &targets);
  void setLearningRate(double lr);
  /// Checkpoints (safetensors): every variable, optimizer state included;
  /// load refuses a checkpoint of another model.
  void save(const std::string &path);
  void load(const std::string &path);
  int numTargets() const;
  int numMetrics() const;
  std::string metricName(int index) const;

  int numInputs() const;
  int numOutputs() const;
  std::string inputName(int index) const;
  std::string outputName(int index) const;
  /// Elements per sample.
  int64_t inputSize(int index) const;
  int64_t outputSize(int index) const;

  int numVariables() const;
  std::string variableName(int index) const;
  std::vector<int64_t> variableShape(int index) const;
  void *variableData(int index);
  /// The index of the named variable, or -1.
  int findVariable(const std::string &name) const;

  /// The C ABI's handle, for the nnc_* functions.
  nnc_model *handle() { return state; }

private:
  std::shared_ptr<const CompiledModel> code;
  nnc_model *state = nullptr;
};

} // namespace nnc

#endif // NNC_CODEGEN_JIT_H
