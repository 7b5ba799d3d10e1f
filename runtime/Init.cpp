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

#include <cmath>

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

static void initialize(const VariableInfo &v, void *data, uint64_t seed) {
  Rng rng(seed ^ hashName(v.name));
  int64_t n = v.sampleSize();
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
    double x = draw();
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
