//===- Commands.h - the model executable's commands -------------*- C++ -*-===//
#ifndef NNC_RUNTIME_MAIN_COMMANDS_H
#define NNC_RUNTIME_MAIN_COMMANDS_H

#include "runtime/main/Options.h"

namespace nnc::exe {

/// Each prints its results on stdout and throws rt::Error on failure.
void runTrain(nnc_model *m, const Settings &s);
void runEval(nnc_model *m, const Settings &s);
void runPredict(nnc_model *m, const Settings &s);
void runSummary(const nnc_model *m);

} // namespace nnc::exe

#endif // NNC_RUNTIME_MAIN_COMMANDS_H
