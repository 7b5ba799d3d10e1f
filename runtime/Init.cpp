//===- Init.cpp - seeded parameter initialization -------------------------===//
//
// Keras's initializers, drawn from a generator of our own so that a seed
// gives the same parameters on every platform and library version
// (std::normal_distribution is not specified bit for bit). Each variable
// draws from its own stream, derived from the seed and its name, so adding
// a layer does not change the others' initial values.
//
//===----------------------------------------------------------------------===//
#include "runtime/Model.h"
#include "runtime/Random.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace nnc::rt;

uint64_t nnc::rt::hashName(const std::string &name) {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

/// Keras's truncated normal: resample beyond two standard deviations.
static double truncatedNormal(Rng &rng) {
  double z;
  do
    z = rng.normal();
  while (std::abs(z) > 2.0);
  return z;
}

/// Keras's orthogonal initializer: the Q of the QR factorization of a
/// Gaussian matrix of shape (max(rows, cols), min(rows, cols)), its columns
/// signed so that R's diagonal is positive (Gram-Schmidt's Q, computed
/// twice over for accuracy), transposed when rows < cols. A recurrent
/// kernel [H, G*H] gets orthonormal rows.
static std::vector<double> orthogonal(const VariableInfo &v, Rng &rng) {
  int64_t cols = v.shape.empty() ? 1 : v.shape.back();
  int64_t rows = cols ? v.sampleSize() / cols : 0;
  int64_t m = std::max(rows, cols), k = std::min(rows, cols);
  std::vector<double> q(m * k); // column-major: column j at q[j * m]
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < k; ++j)
      q[j * m + i] = rng.normal();
  for (int64_t j = 0; j < k; ++j) {
    double *col = &q[j * m];
    for (int pass = 0; pass < 2; ++pass)
      for (int64_t p = 0; p < j; ++p) {
        const double *prev = &q[p * m];
        double dot = 0;
        for (int64_t i = 0; i < m; ++i)
          dot += prev[i] * col[i];
        for (int64_t i = 0; i < m; ++i)
          col[i] -= dot * prev[i];
      }
    double norm = 0;
    for (int64_t i = 0; i < m; ++i)
      norm += col[i] * col[i];
    norm = std::sqrt(norm);
    for (int64_t i = 0; i < m; ++i)
      col[i] = norm > 0 ? col[i] / norm : 0;
  }
  std::vector<double> out(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      out[i * cols + j] = rows >= cols ? q[j * m + i] : q[i * m + j];
  return out;
}

static void initialize(const VariableInfo &v, void *data, uint64_t seed) {
  Rng rng(seed ^ hashName(v.name));
  int64_t n = v.sampleSize();
  std::vector<double> values;
  if (v.init == "orthogonal")
    values = orthogonal(v, rng);
  if (v.init == "unit_forget_bias") { // an LSTM's [4H]: f's quarter ones
    values.assign(n, 0.0);
    for (int64_t i = n / 4; i < n / 2; ++i)
      values[i] = 1.0;
  }
  double fanIn = (double)v.fanIn, fanOut = (double)v.fanOut;
  // 0.87962566103423978 is the std of a unit normal truncated at 2.
  constexpr double kTruncatedStd = 0.87962566103423978;
  auto draw = [&]() -> double {
    const std::string &k = v.init;
    if (k == "zeros")
      return 0.0;
    if (k == "ones")
      return 1.0;
    if (k == "glorot_uniform")
      return rng.uniform(-1, 1) * std::sqrt(6.0 / (fanIn + fanOut));
    if (k == "glorot_normal")
      return truncatedNormal(rng) * std::sqrt(2.0 / (fanIn + fanOut)) /
             kTruncatedStd;
    if (k == "he_uniform")
      return rng.uniform(-1, 1) * std::sqrt(6.0 / fanIn);
    if (k == "he_normal")
      return truncatedNormal(rng) * std::sqrt(2.0 / fanIn) / kTruncatedStd;
    if (k == "normal")
      return rng.normal() * v.scale;
    if (k == "uniform")
      return rng.uniform(-1, 1) * v.scale;
    throw Error("unknown initializer '" + k + "' for " + v.name);
  };
  for (int64_t i = 0; i < n; ++i) {
    double x = values.empty() ? draw() : values[i];
    if (v.dtype == NNC_F64)
      static_cast<double *>(data)[i] = x;
    else
      static_cast<float *>(data)[i] = (float)x;
  }
}

extern "C" int nnc_init(nnc_model *m, uint64_t seed) {
  if (!m)
    return -1;
  try {
    for (size_t i = 0; i < m->desc.variables.size(); ++i)
      initialize(m->desc.variables[i], m->variables[i].data(), seed);
    m->seed = seed;
    m->step = 0;
    return 0;
  } catch (const std::exception &) {
    return -1;
  }
}
