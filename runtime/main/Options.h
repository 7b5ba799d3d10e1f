//===- Options.h - the model executable's command line ----------*- C++ -*-===//
#ifndef NNC_RUNTIME_MAIN_OPTIONS_H
#define NNC_RUNTIME_MAIN_OPTIONS_H

#include "runtime/nnc_runtime.h"

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace nnc::exe {

/// Bad command-line usage: exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A command and its flags, checked against the command's flag table.
struct CommandLine {
  std::string program; // argv[0]
  std::string command; // train, eval, predict, summary or help
  std::map<std::string, std::string> flags; // "epochs" -> "3"; "quiet" -> ""

  bool has(const std::string &flag) const { return flags.count(flag) != 0; }
  std::string text(const std::string &flag, std::string fallback = "") const;

  static CommandLine parse(int argc, char **argv);
};

/// Throws when `--device wanted` is not cpu or cuda (UsageError) or not
/// what the model was compiled for.
void checkDevice(const std::string &wanted, const std::string &compiled);

/// The usage text, with the model's train-block defaults.
std::string usage(const std::string &program, const nnc_model *m);

/// Everything a command runs with: the model's train block, overridden by
/// the command line.
struct Settings {
  std::string data;
  int64_t batch = 32, epochs = 1;
  uint64_t seed = 0;
  bool shuffle = true;
  double validationSplit = 0;
  std::optional<double> lr;
  std::optional<int> threads;
  std::string save, resume, log, load, input, output;
  bool quiet = false;
  bool allowNonFinite = false; // load checkpoints holding NaN or infinity

  static Settings resolve(const CommandLine &cl, const nnc_model *m);
};

} // namespace nnc::exe

#endif // NNC_RUNTIME_MAIN_OPTIONS_H
