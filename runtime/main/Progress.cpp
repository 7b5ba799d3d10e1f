//===- Progress.cpp - a progress bar on a terminal ------------------------===//
#include "runtime/main/Progress.h"

#include <cstdio>

using namespace nnc::exe;

Progress::Progress(bool enabled, std::string label, int64_t total)
    : enabled(enabled), label(std::move(label)), total(total),
      start(Clock::now()), last(start) {}

void Progress::update(int64_t done, double loss) {
  Clock::time_point now = Clock::now();
  if (!enabled || now - last < std::chrono::milliseconds(100))
    return;
  last = now;
  double seconds = std::chrono::duration<double>(now - start).count();
  double rate = seconds > 0 ? done / seconds : 0;
  int eta = rate > 0 ? (int)((total - done) / rate + 0.5) : 0;
  constexpr int kWidth = 30;
  int filled = total ? (int)(kWidth * done / total) : kWidth;
  std::string bar(filled, '=');
  if (filled < kWidth)
    bar += '>' + std::string(kWidth - filled - 1, '.');
  std::fprintf(stderr,
               "\r%s [%s] %lld/%lld  %.0f samples/s  ETA %d:%02d  loss %.4f"
               "\033[K",
               label.c_str(), bar.c_str(), (long long)done, (long long)total,
               rate, eta / 60, eta % 60, loss);
  std::fflush(stderr);
  drawn = true;
}

void Progress::clear() {
  if (drawn)
    std::fputs("\r\033[K", stderr);
  drawn = false;
}
