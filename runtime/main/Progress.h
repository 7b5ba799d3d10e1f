//===- Progress.h - a progress bar on a terminal ----------------*- C++ -*-===//
#ifndef NNC_RUNTIME_MAIN_PROGRESS_H
#define NNC_RUNTIME_MAIN_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <string>

namespace nnc::exe {

/// One line on stderr, redrawn at most ten times a second, with the
/// samples done, samples/s, the time left and the running loss; erased by
/// clear(). Draws nothing unless enabled.
class Progress {
public:
  Progress(bool enabled, std::string label, int64_t total);
  ~Progress() { clear(); }
  void update(int64_t done, double loss);
  void clear();

private:
  using Clock = std::chrono::steady_clock;
  bool enabled, drawn = false;
  std::string label;
  int64_t total;
  Clock::time_point start, last;
};

} // namespace nnc::exe

#endif // NNC_RUNTIME_MAIN_PROGRESS_H
