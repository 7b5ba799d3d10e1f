//===- FakeProgram.cpp - what a compiled model object adds to main --------===//
//
// Built once per fake model (FAKE_MODEL_DEF names its nnc_model_def) and
// linked like `nnc model.nn -o model` links: this object, libnnc_main.a,
// libnnc_runtime.a and zlib.
//
//===----------------------------------------------------------------------===//
#include "test/runtime/FakeModels.h"

// A copy of the table, as the compiled object's nnc_program_model is.
extern "C" const nnc_model_def nnc_program_model = FAKE_MODEL_DEF;
