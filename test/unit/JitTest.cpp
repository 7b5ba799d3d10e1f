//===- JitTest.cpp - the C++ JIT against the AOT library ------------------===//
#include "codegen/Jit.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kMlp = std::string(NNC_EXAMPLES_DIR) + "/mlp.nn";

TEST(Jit, SameSourceIsCompiledOnce) {
  auto a = nnc::compile(readFile(kMlp), "mlp.nn");
  auto b = nnc::compile(readFile(kMlp), "other-name.nn");
  EXPECT_EQ(a.get(), b.get());
  nnc::JitOptions o0;
  o0.optLevel = 0;
  auto c = nnc::compile(readFile(kMlp), "mlp.nn", o0);
  EXPECT_NE(a.get(), c.get()); // other options, other code
}

TEST(Jit, ErrorsCarryDiagnostics) {
  try {
    nnc::compile("model m\ninput x: f32[batch, 4]\noutput y = desne(x, 3)\n",
                 "bad.nn");
    FAIL() << "expected a JitError";
  } catch (const nnc::JitError &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("bad.nn:3:12: error: unknown operation 'desne'; "
                        "did you mean 'dense'?"),
              std::string::npos)
        << what;
  }
  EXPECT_THROW(nnc::compileFile("/nonexistent/model.nn"), nnc::JitError);
}

TEST(Jit, ModelApi) {
  nnc::Model model(nnc::compileFile(kMlp));
  // 6 parameters, then Adam's two slots for each.
  ASSERT_EQ(model.numVariables(), 18);
  EXPECT_EQ(model.variableName(0), "h1.weight");
  EXPECT_EQ(model.variableShape(0), (std::vector<int64_t>{784, 128}));
  EXPECT_EQ(model.findVariable("logits.bias"), 5);
  EXPECT_EQ(model.variableName(6), "optimizer.m.h1.weight");
  EXPECT_EQ(model.variableName(17), "optimizer.v.logits.bias");
  EXPECT_EQ(model.numMetrics(), 1);
  EXPECT_EQ(model.metricName(0), "accuracy");
  EXPECT_EQ(model.findVariable("nope"), -1);
  EXPECT_EQ(model.inputName(0), "image");
  EXPECT_EQ(model.inputSize(0), 784);
  EXPECT_EQ(model.outputName(0), "probs");
  EXPECT_EQ(model.outputSize(0), 10);
  EXPECT_THROW(model.variableName(99), nnc::JitError);
  std::vector<float> x(784), y(10);
  EXPECT_THROW(model.predict(0, {x.data()}, {y.data()}), nnc::JitError);
  EXPECT_THROW(model.predict(1, {}, {y.data()}), nnc::JitError);
  EXPECT_THROW(model.trainStep(1, {x.data()}, {}), nnc::JitError);
}

/// Training through the JIT: repeated steps on one batch fit it, the
/// parameters change in place, eval agrees with the last step's model.
TEST(Jit, TrainStep) {
  nnc::Model model(nnc::compileFile(kMlp));
  model.init(3);
  const int batch = 16;
  std::vector<float> x(batch * 784);
  std::vector<int32_t> labels(batch);
  for (int i = 0; i < batch; ++i) {
    labels[i] = i % 10;
    for (int j = 0; j < 784; ++j)
      x[i * 784 + j] = (float)((i * 37 + j * 11) % 256);
  }
  auto *w = static_cast<float *>(model.variableData(0));
  std::vector<float> before(w, w + 784 * 128);
  std::vector<double> first = model.trainStep(batch, {x.data()}, {labels.data()});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NEAR(first[0], std::log(10.0), 0.5); // about uniform at the start
  EXPECT_NE(std::vector<float>(w, w + 784 * 128), before);
  std::vector<double> last;
  for (int step = 0; step < 50; ++step)
    last = model.trainStep(batch, {x.data()}, {labels.data()});
  EXPECT_LT(last[0], 0.1 * first[0]);
  std::vector<double> eval = model.evalStep(batch, {x.data()}, {labels.data()});
  EXPECT_LT(eval[0], 0.1 * first[0]);
  EXPECT_EQ(eval[1], 1.0); // accuracy on the memorized batch

  // A checkpoint restores the trained state into a fresh model.
  std::string path = testing::TempDir() + "/jit-train.safetensors";
  model.save(path);
  nnc::Model restored(nnc::compileFile(kMlp));
  restored.load(path);
  EXPECT_EQ(restored.evalStep(batch, {x.data()}, {labels.data()}), eval);
  nnc::Model other(
      nnc::compileFile(std::string(NNC_EXAMPLES_DIR) + "/residual.nn"));
  EXPECT_THROW(other.load(path), nnc::JitError);
}

/// The JIT and `nnc --emit=lib` share one pipeline and one ABI: the same
/// seed and inputs give bit-identical outputs.
TEST(Jit, MatchesAotLibrary) {
  std::string dir = testing::TempDir();
  std::string lib = dir + "/libmlp-jit-test.so";
  std::string command = std::string(NNC_BINARY) + " " + kMlp +
                        " --emit=lib -o " + lib;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  void *handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto *aotDef = static_cast<const nnc_model_def *>(dlsym(handle, "mlp_def"));
  ASSERT_NE(aotDef, nullptr);
  using CreateFn = nnc_model *(*)(const nnc_model_def *);
  using InitFn = int (*)(nnc_model *, uint64_t);
  using PredictFn =
      int (*)(nnc_model *, int64_t, const void *const *, void *const *);
  auto create = reinterpret_cast<CreateFn>(dlsym(handle, "nnc_create"));
  auto init = reinterpret_cast<InitFn>(dlsym(handle, "nnc_init"));
  auto predict = reinterpret_cast<PredictFn>(dlsym(handle, "nnc_predict"));
  auto destroy =
      reinterpret_cast<void (*)(nnc_model *)>(dlsym(handle, "nnc_destroy"));
  ASSERT_TRUE(create && init && predict && destroy);

  for (int64_t batch : {1, 7, 33}) {
    std::vector<float> x(batch * 784);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = (float)((i * 37) % 255);
    std::vector<float> jitOut(batch * 10), aotOut(batch * 10);

    nnc::Model jit(nnc::compileFile(kMlp));
    jit.init(1234);
    jit.predict(batch, {x.data()}, {jitOut.data()});

    nnc_model *aot = create(aotDef);
    ASSERT_NE(aot, nullptr);
    ASSERT_EQ(init(aot, 1234), 0);
    const void *in[] = {x.data()};
    void *out[] = {aotOut.data()};
    ASSERT_EQ(predict(aot, batch, in, out), 0);
    EXPECT_EQ(jitOut, aotOut) << "batch " << batch;
    destroy(aot);
  }
  dlclose(handle);
}

} // namespace

namespace {
/// Every example model compiles through the JIT and predicts finite
/// outputs at a batch size that leaves a partial register tile.
TEST(Jit, EveryExampleRuns) {
  for (const char *name :
       {"mlp.nn", "cnn.nn", "residual.nn", "tabular.nn", "regression.nn"}) {
    nnc::Model model(
        nnc::compileFile(std::string(NNC_EXAMPLES_DIR) + "/" + name));
    model.init(3);
    const int64_t batch = 11;
    std::vector<std::vector<float>> inputs, outputs;
    std::vector<const void *> in;
    std::vector<void *> out;
    for (int i = 0; i < model.numInputs(); ++i) {
      inputs.emplace_back(batch * model.inputSize(i), 0.5f);
      in.push_back(inputs.back().data());
    }
    for (int i = 0; i < model.numOutputs(); ++i) {
      outputs.emplace_back(batch * model.outputSize(i), NAN);
      out.push_back(outputs.back().data());
    }
    model.predict(batch, in, out);
    for (const auto &o : outputs)
      for (float v : o)
        ASSERT_TRUE(std::isfinite(v)) << name;
  }
}
} // namespace

// The allocator compiled code calls (runtime/Alloc.cpp): aligned blocks,
// and a freed large block is handed out again for the same size, so that
// repeated steps do not go back to the kernel.
extern "C" void *_mlir_memref_to_llvm_alloc(uint64_t);
extern "C" void *_mlir_memref_to_llvm_aligned_alloc(uint64_t, uint64_t);
extern "C" void _mlir_memref_to_llvm_free(void *);

TEST(Runtime, AllocatorReusesLargeBlocks) {
  auto aligned = [](void *p, uintptr_t a) {
    return reinterpret_cast<uintptr_t>(p) % a == 0;
  };
  void *large = _mlir_memref_to_llvm_alloc(3 << 20);
  ASSERT_NE(large, nullptr);
  EXPECT_TRUE(aligned(large, 64));
  static_cast<char *>(large)[(3 << 20) - 1] = 1;
  _mlir_memref_to_llvm_free(large);
  void *again = _mlir_memref_to_llvm_aligned_alloc(16, 3 << 20);
  EXPECT_EQ(again, large);
  void *other = _mlir_memref_to_llvm_alloc(3 << 20);
  EXPECT_NE(other, again);
  _mlir_memref_to_llvm_free(other);
  _mlir_memref_to_llvm_free(again);

  void *wide = _mlir_memref_to_llvm_aligned_alloc(256, 1 << 20);
  EXPECT_TRUE(aligned(wide, 256));
  _mlir_memref_to_llvm_free(wide);
  void *small = _mlir_memref_to_llvm_alloc(100);
  ASSERT_NE(small, nullptr);
  EXPECT_TRUE(aligned(small, 64));
  _mlir_memref_to_llvm_free(small);
  _mlir_memref_to_llvm_free(nullptr);
}

// Small blocks are kept by the thread that frees them: a predict of the
// same batch size allocates nothing new (the model's workspace, reused).
TEST(Runtime, AllocatorReusesSmallBlocks) {
  void *a = _mlir_memref_to_llvm_alloc(512);
  void *b = _mlir_memref_to_llvm_alloc(100);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  std::memset(a, 1, 512);
  std::memset(b, 2, 100);
  _mlir_memref_to_llvm_free(a);
  _mlir_memref_to_llvm_free(b);
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(100), b); // 100 -> 128 bytes
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(512), a);
  void *c = _mlir_memref_to_llvm_alloc(100);
  EXPECT_NE(c, b);
  // Another thread frees a block (OpenMP's threads free what the caller
  // allocated): it keeps it until it ends, then gives it back.
  std::thread([&] { _mlir_memref_to_llvm_free(c); }).join();
  for (void *p : {a, b})
    _mlir_memref_to_llvm_free(p);
}
