//===- Data.h - data sets for the model executable --------------*- C++ -*-===//
//
// A data set is a folder in MNIST layout (train-images-idx3-ubyte[.gz],
// train-labels-idx1-ubyte[.gz], t10k-* for the test split) or a CSV file
// with a header row. The features feed the model's first input, the labels
// its first target, converted once at load to their declared dtypes.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_MAIN_DATA_H
#define NNC_RUNTIME_MAIN_DATA_H

#include "runtime/nnc_runtime.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc::exe {

/// What the model expects of a field: an input's or target's name, dtype
/// and elements per sample; for class labels, the number of classes.
struct FieldSpec {
  std::string role; // "input" or "target"
  std::string name;
  std::string type; // as the language writes it: "f32[batch, 28, 28]"
  int dtype = NNC_F32;
  int64_t width = 1;
  int64_t classes = 0; // 0: no range check

  /// Whether `v` is fine as one of this field's values (finite, an i32
  /// where one is wanted, a class id in range): the check per value,
  /// without building problem()'s message, and the only one (problem()
  /// asks it first).
  bool fits(double v) const {
    if (!std::isfinite(v))
      return false;
    if (dtype == NNC_I32 && (v != std::floor(v) || std::abs(v) > INT32_MAX))
      return false;
    return classes <= 0 || (v >= 0 && v < (double)classes);
  }
  /// What is wrong with `v` as one of this field's values ("" if nothing).
  std::string problem(double v) const;
};

/// A shape as the language writes it: "[batch, 28, 28]".
std::string shapeText(const std::vector<int64_t> &shape);

/// The model's first input and first target.
FieldSpec inputSpec(const nnc_model *m);
FieldSpec targetSpec(const nnc_model *m);

/// Samples of one field, converted to its dtype.
struct Field {
  int dtype = NNC_F32;
  int64_t width = 1;
  std::vector<char> bytes;

  int64_t count() const;
  size_t sampleBytes() const;
  const char *sample(int64_t i) const {
    return bytes.data() + i * sampleBytes();
  }
  void reserve(int64_t samples) { bytes.reserve(samples * sampleBytes()); }
  void append(double v);
  /// One sample's `width` values, converted to the dtype.
  void appendSample(const double *values);
};

/// Features and labels of the same samples.
struct Split {
  Field x, y;
  int64_t size() const { return x.count(); }
  /// Moves the last `n` samples into a split of their own.
  Split takeTail(int64_t n);
};

struct Dataset {
  Split train;
  std::optional<Split> test; // MNIST folders with t10k-* files
};

/// The training data (and the test split if the folder has one).
Dataset loadTrainingData(const std::string &path, const FieldSpec &x,
                         const FieldSpec &y);
/// The data `eval` scores: the test split of a folder, all of a CSV file.
Split loadEvaluationData(const std::string &path, const FieldSpec &x,
                         const FieldSpec &y);
/// Features only, for `predict`: an IDX file or a CSV file (a column
/// named like the target is left out).
Field loadFeatures(const std::string &path, const FieldSpec &x,
                   const FieldSpec *y);

} // namespace nnc::exe

#endif // NNC_RUNTIME_MAIN_DATA_H
