//===- NncMain.cpp - the model executable's entry point -------------------===//
#include "runtime/main/NncMain.h"
#include "runtime/main/Batches.h"
#include "runtime/main/Commands.h"
#include "runtime/Model.h"

#include <cstdio>
#include <memory>
#include <new>

using namespace nnc::exe;

namespace {
struct Destroy {
  void operator()(nnc_model *m) const { nnc_destroy(m); }
};
} // namespace

static int run(const nnc_model_def *def, int argc, char **argv) {
  CommandLine cl = CommandLine::parse(argc, argv);
  // --device is checked before nnc_create looks for a GPU.
  if (cl.has("device") && def)
    checkDevice(cl.text("device"),
                nnc::rt::Description::parse(def->description).cuda ? "cuda"
                                                                    : "cpu");
  std::unique_ptr<nnc_model, Destroy> model(nnc_create(def));
  if (!model)
    throw nnc::rt::Error(std::string("cannot load the model: ") +
                         nnc_last_error());
  nnc_model *m = model.get();
  if (cl.command == "help") {
    std::fputs(usage(cl.program, m).c_str(), stdout);
    return 0;
  }
  Settings s = Settings::resolve(cl, m);
  if (s.threads)
    check(nnc_set_threads(*s.threads));
  if (cl.command == "train")
    runTrain(m, s);
  else if (cl.command == "eval")
    runEval(m, s);
  else if (cl.command == "predict")
    runPredict(m, s);
  else
    runSummary(m);
  if (std::fflush(stdout) != 0)
    throw nnc::rt::Error("cannot write the standard output");
  return 0;
}

extern "C" int nnc_main(const nnc_model_def *def, int argc, char **argv) {
  const char *program = argc > 0 ? argv[0] : "model";
  try {
    return run(def, argc, argv);
  } catch (const UsageError &e) {
    // tools.md: unknown flags are bad input like any other (status 1).
    std::fprintf(stderr, "error: %s (see '%s --help')\n", e.what(), program);
    return 1;
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "error: out of memory\n");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  }
  std::fflush(stdout);
  return 1;
}
