//===- NncMain.cpp - the model executable's entry point -------------------===//
#include "runtime/main/NncMain.h"
#include "runtime/main/Batches.h"
#include "runtime/main/Commands.h"
#include "runtime/main/Distributed.h"
#include "runtime/Model.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
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
    if (isRoot())
      std::fputs(usage(cl.program, m).c_str(), stdout);
    return 0;
  }
  Settings s = Settings::resolve(cl, m);
  if (s.threads)
    check(nnc_set_threads(*s.threads));
  else if (communicator().localSize() > 1 && !std::getenv("NNC_NUM_THREADS") &&
           !std::getenv("OMP_NUM_THREADS"))
    // Processes of a job that share this machine share its cores.
    check(nnc_set_threads(std::max(
        1, (int)std::thread::hardware_concurrency() /
               communicator().localSize())));
  if (cl.command == "train")
    runTrain(m, s);
  else if (cl.command == "eval")
    runEval(m, s);
  else if (cl.command == "predict")
    runPredict(m, s);
  else if (isRoot())
    runSummary(m);
  if (std::fflush(stdout) != 0)
    throw nnc::rt::Error("cannot write the standard output");
  return 0;
}

/// An error ends the run; in a data-parallel job, every process of it (the
/// others may wait for this one in a collective).
static int fail(const std::string &message) {
  Communicator &c = communicator();
  std::string rank =
      c.size() > 1 ? "rank " + std::to_string(c.rank()) + ": " : "";
  std::fprintf(stderr, "%serror: %s\n", rank.c_str(), message.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  if (c.size() > 1)
    c.abort(1);
  stopCommunicator(); // a job of one process ends as cleanly as a run
  return 1;
}

extern "C" int nnc_main(const nnc_model_def *def, int argc, char **argv) {
  const char *program = argc > 0 ? argv[0] : "model";
  try {
    startCommunicator(&argc, &argv);
    int status = run(def, argc, argv);
    stopCommunicator();
    return status;
  } catch (const UsageError &e) {
    // tools.md: unknown flags are bad input like any other (status 1).
    return fail(std::string(e.what()) + " (see '" + program + " --help')");
  } catch (const std::bad_alloc &) {
    return fail("out of memory");
  } catch (const std::exception &e) {
    return fail(e.what());
  }
}
