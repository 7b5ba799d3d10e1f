//===- Options.cpp - the model executable's command line ------------------===//
#include "runtime/main/Options.h"
#include "runtime/main/Distributed.h"
#include "runtime/Model.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

using namespace nnc::exe;
using json = nlohmann::json;

namespace {
struct Flag {
  const char *name;
  const char *metavar; // nullptr: a switch without a value
  bool required = false;
};
struct Command {
  const char *name;
  std::vector<Flag> flags;
  const char *help;
};
} // namespace

static const std::vector<Command> &commands() {
  static const std::vector<Command> table = {
      {"train",
       {{"data", "PATH"},
        {"epochs", "N"},
        {"batch", "N"},
        {"lr", "X"},
        {"seed", "N"},
        {"threads", "N"},
        {"save", "FILE"},
        {"resume", "FILE"},
        {"log", "FILE.csv"},
        {"device", "cpu|cuda"},
        {"allow-nonfinite", nullptr},
        {"quiet", nullptr}},
       "trains the model and prints each epoch's loss and metrics"},
      {"eval",
       {{"load", "FILE", true},
        {"data", "PATH"},
        {"batch", "N"},
        {"threads", "N"},
        {"allow-nonfinite", nullptr}},
       "the loss and metrics of a checkpoint on the data's test split"},
      {"predict",
       {{"load", "FILE", true},
        {"input", "FILE", true},
        {"output", "FILE.csv"},
        {"batch", "N"},
        {"threads", "N"},
        {"allow-nonfinite", nullptr}},
       "writes the outputs of each sample of FILE (IDX images or CSV) as CSV"},
      {"summary", {}, "the model's layers, output shapes and parameter counts"},
      {"help", {}, "this text"},
  };
  return table;
}

static const Command *findCommand(const std::string &name) {
  for (const Command &c : commands())
    if (name == c.name)
      return &c;
  return nullptr;
}

static const Flag *findFlag(const Command &c, const std::string &name) {
  for (const Flag &f : c.flags)
    if (name == f.name)
      return &f;
  return nullptr;
}

std::string CommandLine::text(const std::string &flag,
                              std::string fallback) const {
  auto it = flags.find(flag);
  return it == flags.end() ? fallback : it->second;
}

static bool isHelp(const std::string &arg) {
  return arg == "--help" || arg == "-h" || arg == "help";
}

CommandLine CommandLine::parse(int argc, char **argv) {
  CommandLine cl;
  cl.program = argc > 0 ? argv[0] : "model";
  if (argc < 2)
    throw UsageError("no command given (train, eval, predict or summary)");
  cl.command = argv[1];
  if (isHelp(cl.command)) {
    cl.command = "help";
    return cl;
  }
  const Command *command = findCommand(cl.command);
  if (!command)
    throw UsageError("unknown command '" + cl.command +
                     "' (train, eval, predict, summary or help)");
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (isHelp(arg)) {
      cl.command = "help";
      return cl;
    }
    if (arg.rfind("--", 0) != 0)
      throw UsageError("unexpected argument '" + arg + "'");
    size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
    const Flag *flag = findFlag(*command, name);
    if (!flag)
      throw UsageError("unknown flag '--" + name + "' for '" + cl.command +
                       "'");
    if (!flag->metavar) {
      if (eq != std::string::npos)
        throw UsageError("--" + name + " takes no value");
      cl.flags[name] = "";
    } else if (eq != std::string::npos) {
      cl.flags[name] = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      cl.flags[name] = argv[++i];
    } else {
      throw UsageError("--" + name + " needs a value (" + flag->metavar + ")");
    }
  }
  for (const Flag &f : command->flags)
    if (f.required && !cl.has(f.name))
      throw UsageError("'" + cl.command + "' needs --" + f.name + " " +
                       f.metavar);
  return cl;
}

/// An integer flag in [min, max].
static int64_t integerFlag(const CommandLine &cl, const char *name,
                           int64_t fallback, int64_t min,
                           int64_t max = INT32_MAX) {
  if (!cl.has(name))
    return fallback;
  std::string s = cl.text(name);
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || errno || v < min || v > max)
    throw UsageError("--" + std::string(name) + " expects an integer" +
                     (min > 0 ? " >= " + std::to_string(min) : " >= 0") +
                     ", got '" + s + "'");
  return v;
}

static double positiveNumberFlag(const CommandLine &cl, const char *name) {
  std::string s = cl.text(name);
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || !(v > 0) || !std::isfinite(v))
    throw UsageError("--" + std::string(name) +
                     " expects a positive number, got '" + s + "'");
  return v;
}

/// The train block's values; absent keys keep the language's defaults.
static Settings trainBlock(const nnc_model *m) {
  Settings s;
  json train = json::parse(nnc_train_settings(m), nullptr, false);
  if (!train.is_object())
    return s;
  s.data = train.value("data", s.data);
  s.batch = train.value("batch", s.batch);
  s.epochs = train.value("epochs", s.epochs);
  s.seed = train.value("seed", s.seed);
  s.shuffle = train.value("shuffle", s.shuffle);
  s.validationSplit = train.value("validation_split", s.validationSplit);
  return s;
}

Settings Settings::resolve(const CommandLine &cl, const nnc_model *m) {
  Settings s = trainBlock(m);
  s.data = cl.text("data", s.data);
  s.batch = integerFlag(cl, "batch", s.batch, 1);
  s.epochs = integerFlag(cl, "epochs", s.epochs, 1);
  s.seed = (uint64_t)integerFlag(cl, "seed", (int64_t)s.seed, 0, INT64_MAX);
  if (cl.has("lr"))
    s.lr = positiveNumberFlag(cl, "lr");
  if (cl.has("threads"))
    s.threads = (int)integerFlag(cl, "threads", 0, 0);
  s.save = cl.text("save");
  s.resume = cl.text("resume");
  s.log = cl.text("log");
  s.load = cl.text("load");
  s.input = cl.text("input");
  s.output = cl.text("output");
  s.quiet = cl.has("quiet");
  s.allowNonFinite = cl.has("allow-nonfinite");
  return s;
}

void nnc::exe::checkDevice(const std::string &wanted,
                           const std::string &compiled) {
  if (wanted != "cpu" && wanted != "cuda")
    throw UsageError("--device expects cpu or cuda, got '" + wanted + "'");
  if (wanted == "cuda" && compiled != "cuda")
    throw nnc::rt::Error("this executable was compiled for the CPU; compile "
                         "the model with `nnc --target=cuda` to run it on a "
                         "GPU");
  if (wanted == "cpu" && compiled == "cuda")
    throw nnc::rt::Error("this executable was compiled for CUDA GPUs "
                         "(--target=cuda); compile the model without "
                         "--target=cuda to run it on the CPU");
}

/// "  train    [--data PATH] ...", wrapped under the command's name.
static std::string commandUsage(const Command &c) {
  const std::string indent(11, ' ');
  std::string out = "  " + std::string(c.name);
  out.resize(indent.size(), ' ');
  size_t column = indent.size();
  for (const Flag &f : c.flags) {
    std::string item = std::string("--") + f.name;
    if (f.metavar)
      item += std::string(" ") + f.metavar;
    if (!f.required)
      item = "[" + item + "]";
    if (column > indent.size() && column + 1 + item.size() > 78) {
      out += "\n" + indent;
      column = indent.size();
    } else if (column > indent.size()) {
      out += ' ';
      ++column;
    }
    out += item;
    column += item.size();
  }
  if (!c.flags.empty())
    out += "\n" + indent;
  return out + c.help + "\n";
}

std::string nnc::exe::usage(const std::string &program, const nnc_model *m) {
  std::ostringstream os;
  os << "usage: " << program << " <command> [flags]\n\n"
     << "Model '" << nnc_model_name(m) << "', compiled by nnc.\n\n"
     << "commands:\n";
  for (const Command &c : commands())
    os << commandUsage(c);
  Settings s = trainBlock(m);
  os << "\ntraining defaults (the model's train block): data "
     << (s.data.empty() ? "none (use --data)" : "\"" + s.data + "\"")
     << ", epochs " << s.epochs << ", batch " << s.batch << ", lr "
     << nnc_learning_rate(m) << ", seed " << s.seed << "\n"
     << "exit status: 0 on success, 1 on any error (bad data, files or flags)\n";
  if (distributedBuild())
    os << "data-parallel (compiled with --distributed=mpi): mpirun -np N "
       << program << " train ... trains on N processes, --batch being the "
       << "global batch; rank 0 prints and writes the files\n";
  return os.str();
}
