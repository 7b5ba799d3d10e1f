//===- NncMain.h - the model executable's entry point -----------*- C++ -*-===//
#ifndef NNC_RUNTIME_MAIN_NNCMAIN_H
#define NNC_RUNTIME_MAIN_NNCMAIN_H

#include "runtime/nnc_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The whole command-line program of a compiled model (train, eval,
/// predict, summary, help; see docs/runtime.md). Returns the exit status:
/// 0 on success, 1 on errors, 2 on bad usage.
int nnc_main(const nnc_model_def *def, int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif // NNC_RUNTIME_MAIN_NNCMAIN_H
