//===- FakeModels.h - hand-written models for runtime tests -----*- C++ -*-===//
//
// Stand-ins for what nnc compiles: each has a description and entry points
// that follow the calling conventions of docs/abi.md exactly, so the model
// executable's runtime can be tested without the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TEST_RUNTIME_FAKEMODELS_H
#define NNC_TEST_RUNTIME_FAKEMODELS_H

#include "runtime/nnc_runtime.h"

/// Softmax regression 784 -> 10 on f32[batch, 28, 28] images (0..255),
/// i32 labels, SGD with momentum; metric accuracy. Has "layers" and
/// "source_hash" in its description.
extern const nnc_model_def fake_mnist_def;
/// The same model with another source hash (a changed .nn file).
extern const nnc_model_def fake_mnist_v2_def;
/// Linear regression on normalize(features f32[batch, 3]), target
/// y f32[batch, 1], mse, metric mae, plain SGD. Its description has neither
/// "layers" nor "source_hash" nor data.
extern const nnc_model_def fake_tabular_def;

#endif // NNC_TEST_RUNTIME_FAKEMODELS_H
