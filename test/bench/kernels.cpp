//===- kernels.cpp - nnc's CPU kernels under Google Benchmark -------------===//
//
// Each case is a small .nn model compiled with the JIT (the same pipeline
// as `nnc --emit=obj`), run through the C ABI. Counters: GFLOP/s (or GB/s)
// and `peak`, the fraction of this machine's FMA peak for the thread count,
// which the binary measures itself at start-up (independent FMA chains).
//
//   nnc-bench-kernels [--benchmark_filter=...]
//
//===----------------------------------------------------------------------===//
#include "codegen/Jit.h"

#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <vector>

namespace {

/// The widest float vectors this binary was compiled for.
struct Wide {
#if defined(__AVX512F__)
  using V = __m512;
  static constexpr int lanes = 16;
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V set(float x) { return _mm512_set1_ps(x); }
  static V load(const float *p) { return _mm512_load_ps(p); }
  static float sum(V v) { return _mm512_reduce_add_ps(v); }
#else
  using V = __m256;
  static constexpr int lanes = 8;
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V set(float x) { return _mm256_set1_ps(x); }
  static V load(const float *p) { return _mm256_load_ps(p); }
  static float sum(V v) {
    float f[8];
    _mm256_storeu_ps(f, v);
    return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
  }
#endif
};

/// FMA throughput of one core, in GFLOP/s, with 12 independent chains of
/// the widest vectors this binary was compiled for.
double measurePeakGflops() {
  using V = Wide::V;
  constexpr int lanes = Wide::lanes;
  auto fma = Wide::fma;
  auto set = Wide::set;
  auto sum = Wide::sum;
  constexpr int chains = 12;
  V acc[chains];
  for (int i = 0; i < chains; ++i)
    acc[i] = set(1.0f + i * 1e-3f);
  V a = set(0.999999f), b = set(1e-7f);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const long iters = 20'000'000;
    auto t0 = std::chrono::steady_clock::now();
    for (long it = 0; it < iters; ++it)
      for (int i = 0; i < chains; ++i)
        acc[i] = fma(acc[i], a, b);
    double s = std::chrono::duration<double>(
                   std::chrono::steady_clock::now() - t0)
                   .count();
    best = std::max(best, 2.0 * lanes * chains * iters / s / 1e9);
  }
  float keep = 0;
  for (int i = 0; i < chains; ++i)
    keep += sum(acc[i]);
  benchmark::DoNotOptimize(keep);
  return best;
}

double peakGflops() {
  static double peak = [] {
    double p = measurePeakGflops();
    std::fprintf(stderr, "FMA peak of one core: %.1f GFLOP/s\n", p);
    return p;
  }();
  return peak;
}

/// A compiled case: the model, random inputs and room for outputs.
struct Case {
  nnc::Model model;
  int64_t batch;
  std::vector<std::vector<char>> inputs, outputs;
  std::vector<const void *> in;
  std::vector<void *> out;

  Case(const std::string &source, int64_t batch)
      : model(nnc::compile(source, "bench.nn")), batch(batch) {
    model.init(1);
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    for (int i = 0; i < model.numInputs(); ++i) {
      std::vector<char> bytes(batch * model.inputSize(i) * 4);
      auto *f = reinterpret_cast<float *>(bytes.data());
      bool ids = model.inputName(i) == "labels";
      for (int64_t k = 0; k < batch * model.inputSize(i); ++k) {
        if (ids)
          reinterpret_cast<int32_t *>(f)[k] = (int32_t)(rng() % 10);
        else
          f[k] = normal(rng);
      }
      inputs.push_back(std::move(bytes));
      in.push_back(inputs.back().data());
    }
    for (int i = 0; i < model.numOutputs(); ++i) {
      outputs.emplace_back(std::max<int64_t>(batch * model.outputSize(i), 1) *
                           4);
      out.push_back(outputs.back().data());
    }
  }
  void run() { model.predict(batch, in, out); }
};

/// The compiled case of `source` at `batch`, made on first use (each
/// benchmark runs once per thread count).
Case &cachedCase(const std::string &source, int64_t batch) {
  static std::map<std::string, std::unique_ptr<Case>> cases;
  auto &c = cases[source + "@" + std::to_string(batch)];
  if (!c)
    c = std::make_unique<Case>(source, batch);
  return *c;
}

void report(benchmark::State &state, double flops, double bytes) {
  int threads = (int)state.range(0);
  if (flops > 0) {
    state.counters["GFLOP/s"] = benchmark::Counter(
        flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["flops"] = flops;
  }
  if (bytes > 0)
    state.counters["GB/s"] = benchmark::Counter(
        bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = threads;
  state.counters["peak_gflops"] = peakGflops() * threads;
}

void runCase(benchmark::State &state, const std::string &source,
             int64_t batch, double flops, double bytes) {
  nnc_set_threads((int)state.range(0));
  Case &c = cachedCase(source, batch);
  c.run(); // warm up
  for (auto _ : state)
    c.run();
  report(state, flops, bytes);
}

/// A training step of `source`, whose one target has `targetSize`
/// elements (f32) per sample.
void runTrainCase(benchmark::State &state, const std::string &source,
                  int64_t batch, int64_t targetSize, double flops) {
  nnc_set_threads((int)state.range(0));
  Case &c = cachedCase(source, batch);
  std::vector<float> target(batch * targetSize, 0.5f);
  std::vector<const void *> targets{target.data()};
  c.model.trainStep(batch, c.in, targets); // warm up
  for (auto _ : state)
    c.model.trainStep(batch, c.in, targets);
  report(state, flops, 0);
}

/// What a convolution's gradient rows run: the loss (eval), the loss and
/// the gradients of the layer's filter and bias (filter), or those and the
/// gradient of its input (all).
enum class ConvPass { Loss, Filter, All };

/// A 3x3 convolution of [batch, h, w, c] to `filters` channels (`padding`
/// valid or same) under an mse loss, one pass of `pass`. The input's
/// gradient is asked for through a trainable scale of x (`x * s`, s of
/// [h, w, c]): its gradient sum_n(dx * x) needs dx. FLOPs: the direct
/// convolution's count for each of forward, d-filter, d-input run.
/// compare.py subtracts passes: d-filter = Filter - Loss, d-input =
/// All - Filter (with s's multiply and reduction, two passes over x).
void convGradCase(benchmark::State &state, int64_t batch, int64_t h,
                  int64_t w, int64_t c, int64_t filters, bool same,
                  ConvPass pass) {
  int64_t oh = same ? h : h - 2, ow = same ? w : w - 2;
  std::string dims = std::to_string(h) + ", " + std::to_string(w) + ", " +
                     std::to_string(c);
  std::string source =
      "model cg\ninput x: f32[batch, " + dims + "]\ntarget t: f32[batch, " +
      std::to_string(oh) + ", " + std::to_string(ow) + ", " +
      std::to_string(filters) + "]\n" +
      (pass == ConvPass::All ? "param s: f32[" + dims + "] init=ones\n" : "") +
      "output y = conv2d(" + (pass == ConvPass::All ? "x * s" : "x") + ", " +
      std::to_string(filters) + ", kernel=3" +
      (same ? ", padding=same" : "") +
      ")\nloss = mse(y, t)\ntrain {\n  optimizer = sgd(lr=0.01)\n}\n";
  nnc_set_threads((int)state.range(0));
  Case &cs = cachedCase(source, batch);
  std::vector<float> target(batch * oh * ow * filters, 0.5f);
  std::vector<const void *> targets{target.data()};
  nnc_model *m = cs.model.handle();
  std::vector<std::vector<float>> grads;
  std::vector<void *> gradPtrs;
  for (int i = 0; i < cs.model.numVariables(); ++i) {
    if (!nnc_variable_trainable(m, i))
      continue;
    int64_t n = 1;
    for (int64_t d : cs.model.variableShape(i))
      n *= d;
    grads.emplace_back(n);
    gradPtrs.push_back(grads.back().data());
  }
  double loss = 0;
  auto run = [&] {
    if (pass == ConvPass::Loss) {
      cs.model.evalStep(batch, cs.in, targets);
    } else if (nnc_gradients(m, batch, cs.in.data(), targets.data(), &loss,
                             gradPtrs.data()) != 0) {
      state.SkipWithError(nnc_last_error());
    }
  };
  run(); // warm up
  for (auto _ : state)
    run();
  double conv = 2.0 * batch * oh * ow * filters * 9 * c;
  int passes = pass == ConvPass::Loss ? 1 : pass == ConvPass::Filter ? 2 : 3;
  report(state, conv * passes, 0);
}

void denseForward(benchmark::State &state, int64_t m, int64_t k, int64_t n) {
  std::string source = "model dense\ninput x: f32[batch, " +
                       std::to_string(k) + "]\noutput y = dense(x, " +
                       std::to_string(n) + ", activation=relu)\n";
  runCase(state, source, m, 2.0 * m * n * k, 0);
}

void BM_Dense_32x784x128(benchmark::State &s) { denseForward(s, 32, 784, 128); }
void BM_Dense_256x784x128(benchmark::State &s) {
  denseForward(s, 256, 784, 128);
}
/// [1024 x 1024] x [1024 x n], no epilogue.
void matmul1024(benchmark::State &state, int64_t n) {
  std::string source = "model mm\ninput x: f32[batch, 1024]\n"
                       "param w: f32[1024, " +
                       std::to_string(n) + "]\noutput y = x @ w\n";
  runCase(state, source, 1024, 2.0 * 1024 * 1024 * n, 0);
}
void BM_Matmul_1024(benchmark::State &state) { matmul1024(state, 1024); }
void BM_Conv3x3_64x28x28x16_32(benchmark::State &state) {
  std::string source = "model conv\ninput x: f32[batch, 28, 28, 16]\n"
                       "output y = conv2d(x, 32, kernel=3, padding=same)\n";
  runCase(state, source, 64, 2.0 * 64 * 28 * 28 * 32 * 3 * 3 * 16, 0);
}
// The same matmul with B's rows 4,160 and 4,224 bytes apart instead of
// 4,096: a stride that is a multiple of 4 KiB puts a register tile's rows
// of B in the same few L1 sets (see docs/codegen.md).
void BM_Matmul_1024x1040(benchmark::State &state) { matmul1024(state, 1040); }
void BM_Matmul_1024x1056(benchmark::State &state) { matmul1024(state, 1056); }
// examples/cnn.nn's second convolution: 32 channels in, 64 out, no padding.
void BM_Conv3x3_64x13x13x32_64(benchmark::State &state) {
  std::string source = "model conv\ninput x: f32[batch, 13, 13, 32]\n"
                       "output y = conv2d(x, 64, kernel=3)\n";
  runCase(state, source, 64, 2.0 * 64 * 11 * 11 * 64 * 3 * 3 * 32, 0);
}
// The wide MLP's 2048 x 2048 layer at its training batch (128): forward
// (B's rows 8 KiB apart: packed panels), and the backward's dy W^T (each
// block transposes its own panel of W).
void BM_Dense_128x2048x2048(benchmark::State &state) {
  denseForward(state, 128, 2048, 2048);
}
void BM_InputGrad_128x2048x2048(benchmark::State &state) {
  std::string source = "model ig\ninput dy: f32[batch, 2048]\n"
                       "param w: f32[2048, 2048]\n"
                       "output dx = dy @ transpose(w, perm=[1, 0])\n";
  runCase(state, source, 128, 2.0 * 128 * 2048 * 2048, 0);
}
// The same layer's training step without bias or activation: forward
// x W, mse's gradient dy, the filter gradient x^T dy (a transposed-LHS
// matmul whose reduction runs over the batch) and the SGD update of W in
// place. FLOPs: the two matmuls.
void BM_DenseStep_128x2048x2048(benchmark::State &state) {
  std::string source = "model step\ninput x: f32[batch, 2048]\n"
                       "target t: f32[batch, 2048]\n"
                       "param w: f32[2048, 2048]\n"
                       "output y = x @ w\nloss = mse(y, t)\n"
                       "train {\n  optimizer = sgd(lr=0.0001)\n}\n";
  runTrainCase(state, source, 128, 2048, 4.0 * 128 * 2048 * 2048);
}
// The limit of a batch-1 predict of examples/mlp.nn: its first layer's
// weights (784 x 128 f32, 392 KiB) come from L2 on every call. This reads
// a buffer of that size with the widest vector loads, one FMA per load
// into 8 independent sums (what the matrix-vector tile does), so GB/s is
// this core's L2 read bandwidth and the time the floor of that layer.
void BM_L2Read_392KiB(benchmark::State &state) {
  using V = Wide::V;
  constexpr int lanes = Wide::lanes;
  auto load = Wide::load;
  auto fma = Wide::fma;
  auto set = Wide::set;
  constexpr size_t floats = 784 * 128;
  static_assert(floats % (8 * lanes) == 0, "whole rounds of 8 vectors");
  float *w = static_cast<float *>(std::aligned_alloc(64, floats * 4));
  for (size_t i = 0; i < floats; ++i)
    w[i] = 1.0f / float(i + 1);
  V acc[8];
  for (V &a : acc)
    a = set(0.0f);
  V x = set(1.0f);
  for (auto _ : state) {
    for (size_t i = 0; i < floats; i += 8 * lanes)
      for (int j = 0; j < 8; ++j)
        acc[j] = fma(x, load(w + i + j * lanes), acc[j]);
    benchmark::DoNotOptimize(acc);
  }
  std::free(w);
  state.counters["GB/s"] = benchmark::Counter(
      floats * 4 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = 1;
}

void BM_SoftmaxCrossEntropy_256x10(benchmark::State &state) {
  std::string source = "model ce\ninput x: f32[batch, 10]\n"
                       "input labels: i32[batch]\n"
                       "output p = softmax(x)\n"
                       "output l = cross_entropy(x, labels)\n";
  // Reads the logits and labels once, writes the probabilities.
  runCase(state, source, 256, 0, 256.0 * (10 * 4 + 4 + 10 * 4));
}

// The gradients of examples/cnn.nn's second convolution, of the
// VGG-style net's 3x3 `same` convolution and of deep_cnn.nn's third
// (5 x 5 x 128 -> 3 x 3 x 256: its filter is 1.2 MB; its input gradient
// runs by taps), each as loss / filter / all passes (see convGradCase).
#define CONV_GRAD_ROWS(NAME, B, H, W, C, F, SAME)                              \
  void BM_ConvLoss_##NAME(benchmark::State &s) {                               \
    convGradCase(s, B, H, W, C, F, SAME, ConvPass::Loss);                      \
  }                                                                            \
  void BM_ConvFilterGrad_##NAME(benchmark::State &s) {                         \
    convGradCase(s, B, H, W, C, F, SAME, ConvPass::Filter);                    \
  }                                                                            \
  void BM_ConvAllGrads_##NAME(benchmark::State &s) {                           \
    convGradCase(s, B, H, W, C, F, SAME, ConvPass::All);                       \
  }
CONV_GRAD_ROWS(64x13x13x32_64, 64, 13, 13, 32, 64, false)
CONV_GRAD_ROWS(64x28x28x16_32, 64, 28, 28, 16, 32, true)
CONV_GRAD_ROWS(64x5x5x128_256, 64, 5, 5, 128, 256, false)

} // namespace

BENCHMARK(BM_Dense_32x784x128)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Dense_256x784x128)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Matmul_1024)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Conv3x3_64x28x28x16_32)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Matmul_1024x1040)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Matmul_1024x1056)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Conv3x3_64x13x13x32_64)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Dense_128x2048x2048)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_InputGrad_128x2048x2048)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_DenseStep_128x2048x2048)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_L2Read_392KiB)->Arg(1)->UseRealTime();
BENCHMARK(BM_SoftmaxCrossEntropy_256x10)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ConvLoss_64x13x13x32_64)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ConvFilterGrad_64x13x13x32_64)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ConvAllGrads_64x13x13x32_64)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ConvLoss_64x28x28x16_32)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ConvFilterGrad_64x28x28x16_32)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ConvAllGrads_64x28x28x16_32)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ConvLoss_64x5x5x128_256)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ConvFilterGrad_64x5x5x128_256)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_ConvAllGrads_64x5x5x128_256)->Arg(1)->Arg(2)->UseRealTime();

BENCHMARK_MAIN();
