//===- FakeModels.cpp - hand-written models for the runtime's tests -------===//
//
// Buffers, as the runtime passes them (runtime/Model.cpp):
//   predict:    variables but optimizer slots, inputs, outputs
//   eval_step:  variables but optimizer slots, inputs, targets, loss, metrics
//   train_step: all variables, inputs, targets, lr, step, dropout key, loss,
//               metrics; it updates the variables in place
// with 0-d tensors of the model's float type (f32 here) for lr, step, loss
// and metrics. Everything is computed in a fixed order, so runs repeat bit
// for bit.
//
//===----------------------------------------------------------------------===//
#include "test/runtime/FakeModels.h"

#include <cmath>

namespace {

constexpr int kPixels = 784, kClasses = 10;
constexpr float kMomentum = 0.9f;

template <typename T> T *at(void **buffers, int i) {
  return static_cast<T *>(buffers[i]);
}

//===-- fake_mnist: softmax regression --------------------------------===//
// Variables: 0 dense.weight [784, 10], 1 dense.bias [10], 2 and 3 their
// momentum slots. Then image (4), label (5).

struct Softmax {
  float z[kClasses], p[kClasses];
  float loss;
  bool correct;
};

/// The logits, probabilities, loss and hit of one image.
Softmax classify(const float *w, const float *b, const float *image,
                 int32_t label) {
  Softmax s;
  for (int j = 0; j < kClasses; ++j)
    s.z[j] = b[j];
  for (int i = 0; i < kPixels; ++i) {
    float x = image[i] / 255.0f;
    for (int j = 0; j < kClasses; ++j)
      s.z[j] += x * w[i * kClasses + j];
  }
  int best = 0;
  float top = s.z[0], sum = 0;
  for (int j = 1; j < kClasses; ++j)
    if (s.z[j] > top)
      top = s.z[best = j];
  for (int j = 0; j < kClasses; ++j)
    sum += s.p[j] = std::exp(s.z[j] - top);
  for (float &p : s.p)
    p /= sum;
  s.loss = label >= 0 ? std::log(sum) + top - s.z[label] : 0;
  s.correct = best == label;
  return s;
}

void mnistPredict(int64_t batch, void **buffers) {
  const float *w = at<float>(buffers, 0), *b = at<float>(buffers, 1);
  const float *images = at<float>(buffers, 2);
  float *probs = at<float>(buffers, 3);
  for (int64_t n = 0; n < batch; ++n) {
    Softmax s = classify(w, b, images + n * kPixels, -1);
    for (int j = 0; j < kClasses; ++j)
      probs[n * kClasses + j] = s.p[j];
  }
}

void mnistEvalStep(int64_t batch, void **buffers) {
  const float *w = at<float>(buffers, 0), *b = at<float>(buffers, 1);
  const float *images = at<float>(buffers, 2);
  const int32_t *labels = at<int32_t>(buffers, 3);
  float loss = 0, hits = 0;
  for (int64_t n = 0; n < batch; ++n) {
    Softmax s = classify(w, b, images + n * kPixels, labels[n]);
    loss += s.loss;
    hits += s.correct;
  }
  *at<float>(buffers, 4) = loss / batch;
  *at<float>(buffers, 5) = hits / batch;
}

void mnistTrainStep(int64_t batch, void **buffers) {
  float *w = at<float>(buffers, 0), *b = at<float>(buffers, 1);
  float *mw = at<float>(buffers, 2), *mb = at<float>(buffers, 3);
  const float *images = at<float>(buffers, 4);
  const int32_t *labels = at<int32_t>(buffers, 5);
  float lr = *at<float>(buffers, 6);
  float gw[kPixels * kClasses] = {}, gb[kClasses] = {}, loss = 0, hits = 0;
  for (int64_t n = 0; n < batch; ++n) {
    const float *image = images + n * kPixels;
    Softmax s = classify(w, b, image, labels[n]);
    loss += s.loss;
    hits += s.correct;
    float dz[kClasses];
    for (int j = 0; j < kClasses; ++j)
      dz[j] = (s.p[j] - (j == labels[n])) / batch;
    for (int i = 0; i < kPixels; ++i)
      for (int j = 0; j < kClasses; ++j)
        gw[i * kClasses + j] += image[i] / 255.0f * dz[j];
    for (int j = 0; j < kClasses; ++j)
      gb[j] += dz[j];
  }
  *at<float>(buffers, 9) = loss / batch;
  *at<float>(buffers, 10) = hits / batch;
  // Keras's SGD with momentum, in place: v = momentum * v - lr * g; p += v.
  for (int k = 0; k < kPixels * kClasses; ++k) {
    mw[k] = kMomentum * mw[k] - lr * gw[k];
    w[k] += mw[k];
  }
  for (int j = 0; j < kClasses; ++j) {
    mb[j] = kMomentum * mb[j] - lr * gb[j];
    b[j] += mb[j];
  }
}

#define MNIST_DESCRIPTION(HASH)                                                \
  R"({"abi": 3, "model": "fake_mnist",
 "variables": [
  {"name": "dense.weight", "kind": "param", "dtype": "f32", "shape": [784, 10],
   "init": "glorot_uniform", "scale": 0, "fan_in": 784, "fan_out": 10},
  {"name": "dense.bias", "kind": "param", "dtype": "f32", "shape": [10],
   "init": "zeros", "scale": 0, "fan_in": 1, "fan_out": 1},
  {"name": "optimizer.momentum.dense.weight", "kind": "optimizer",
   "dtype": "f32", "shape": [784, 10], "init": "zeros", "scale": 0,
   "fan_in": 1, "fan_out": 1},
  {"name": "optimizer.momentum.dense.bias", "kind": "optimizer",
   "dtype": "f32", "shape": [10], "init": "zeros", "scale": 0,
   "fan_in": 1, "fan_out": 1}],
 "inputs": [{"name": "image", "dtype": "f32", "shape": [-1, 28, 28]}],
 "targets": [{"name": "label", "dtype": "i32", "shape": [-1]}],
 "outputs": [{"name": "probs", "dtype": "f32", "shape": [-1, 10]}],
 "metrics": ["accuracy"], "has_loss": true,
 "entries": {"predict": "fake_mnist_predict"},
 "train": {"batch": 32, "epochs": 2, "seed": 0, "shuffle": true,
           "validation_split": 0.1,
           "optimizer": {"kind": "sgd", "lr": 0.05, "momentum": 0.9},
           "data": "/usr/share/datasets/fashion-mnist"},
 "layers": [
  {"name": "logits", "op": "dense", "shape": [-1, 10], "params": 7850,
   "line": 6},
  {"name": "probs", "op": "softmax", "shape": [-1, 10], "params": 0,
   "line": 8}],
 "source_hash": ")" HASH R"("})"

//===-- fake_tabular: linear regression on normalized features --------===//
// Variables: 0 features.mean [3], 1 features.var [3] (state), 2 pred.weight
// [3, 1], 3 pred.bias [1]. Then features (4), y (5).

constexpr int kFeatures = 3;

float regress(void **buffers, const float *x) {
  const float *mean = at<float>(buffers, 0), *var = at<float>(buffers, 1);
  const float *w = at<float>(buffers, 2), *b = at<float>(buffers, 3);
  float pred = b[0];
  for (int i = 0; i < kFeatures; ++i)
    pred += (x[i] - mean[i]) / std::sqrt(var[i] + 1e-7f) * w[i];
  return pred;
}

void tabularPredict(int64_t batch, void **buffers) {
  for (int64_t n = 0; n < batch; ++n)
    at<float>(buffers, 5)[n] =
        regress(buffers, at<float>(buffers, 4) + n * kFeatures);
}

/// The mse and mae of a batch; with `grads`, d mse / d weight and bias.
void tabularLoss(int64_t batch, void **buffers, float *results, float *grads) {
  const float *x = at<float>(buffers, 4), *y = at<float>(buffers, 5);
  const float *mean = at<float>(buffers, 0), *var = at<float>(buffers, 1);
  results[0] = results[1] = 0;
  for (int64_t n = 0; n < batch; ++n) {
    float err = regress(buffers, x + n * kFeatures) - y[n];
    results[0] += err * err / batch;
    results[1] += std::abs(err) / batch;
    if (!grads)
      continue;
    for (int i = 0; i < kFeatures; ++i)
      grads[i] += 2 * err / batch * (x[n * kFeatures + i] - mean[i]) /
                  std::sqrt(var[i] + 1e-7f);
    grads[kFeatures] += 2 * err / batch;
  }
}

void tabularEvalStep(int64_t batch, void **buffers) {
  float results[2];
  tabularLoss(batch, buffers, results, nullptr);
  *at<float>(buffers, 6) = results[0];
  *at<float>(buffers, 7) = results[1];
}

void tabularTrainStep(int64_t batch, void **buffers) {
  float results[2], grads[kFeatures + 1] = {};
  tabularLoss(batch, buffers, results, grads);
  float lr = *at<float>(buffers, 6);
  *at<float>(buffers, 9) = results[0];
  *at<float>(buffers, 10) = results[1];
  float *w = at<float>(buffers, 2), *b = at<float>(buffers, 3);
  for (int i = 0; i < kFeatures; ++i)
    w[i] -= lr * grads[i];
  b[0] -= lr * grads[kFeatures];
}

const char *const kTabularDescription = R"({"abi": 3, "model": "fake_tabular",
 "variables": [
  {"name": "features.mean", "kind": "state", "dtype": "f32", "shape": [3],
   "init": "zeros", "scale": 0, "fan_in": 1, "fan_out": 1},
  {"name": "features.var", "kind": "state", "dtype": "f32", "shape": [3],
   "init": "ones", "scale": 0, "fan_in": 1, "fan_out": 1},
  {"name": "pred.weight", "kind": "param", "dtype": "f32", "shape": [3, 1],
   "init": "glorot_uniform", "scale": 0, "fan_in": 3, "fan_out": 1},
  {"name": "pred.bias", "kind": "param", "dtype": "f32", "shape": [1],
   "init": "zeros", "scale": 0, "fan_in": 1, "fan_out": 1}],
 "inputs": [{"name": "features", "dtype": "f32", "shape": [-1, 3]}],
 "targets": [{"name": "y", "dtype": "f32", "shape": [-1, 1]}],
 "outputs": [{"name": "prediction", "dtype": "f32", "shape": [-1, 1]}],
 "metrics": ["mae"], "has_loss": true, "entries": {},
 "train": {"batch": 16, "epochs": 3, "seed": 7, "shuffle": true,
           "validation_split": 0.2,
           "optimizer": {"kind": "sgd", "lr": 0.1, "momentum": 0}},
 "normalize": [{"input": "features", "mean": 0, "var": 1}]})";

} // namespace

const nnc_model_def fake_mnist_def = {
    NNC_ABI_VERSION, MNIST_DESCRIPTION("fake-mnist-1"),
    mnistPredict,    mnistTrainStep,
    mnistEvalStep,   nullptr};
const nnc_model_def fake_mnist_v2_def = {
    NNC_ABI_VERSION, MNIST_DESCRIPTION("fake-mnist-2"),
    mnistPredict,    mnistTrainStep,
    mnistEvalStep,   nullptr};
const nnc_model_def fake_tabular_def = {NNC_ABI_VERSION, kTabularDescription,
                                        tabularPredict,  tabularTrainStep,
                                        tabularEvalStep, nullptr};
