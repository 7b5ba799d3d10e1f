//===- Random.h - a portable, seedable generator (runtime) ------*- C++ -*-===//
#ifndef NNC_RUNTIME_RANDOM_H
#define NNC_RUNTIME_RANDOM_H

#include <cmath>
#include <cstdint>
#include <string>

namespace nnc::rt {

/// xoshiro256** seeded through splitmix64: fast, with the same output on
/// every platform.
class Rng {
public:
  explicit Rng(uint64_t seed) {
    for (uint64_t &word : s) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      word = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
  /// Uniform in [0, 1) with 53 random bits.
  double unit() { return (next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
  /// Standard normal (Box-Muller; the second value is discarded so that
  /// each call uses the same number of draws).
  double normal() {
    double u = 1.0 - unit(); // (0, 1]
    double v = unit();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
  }
  /// Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s[4];
};

/// A stable 64-bit hash of a name (FNV-1a), to derive per-tensor streams.
uint64_t hashName(const std::string &name);

} // namespace nnc::rt

#endif // NNC_RUNTIME_RANDOM_H
