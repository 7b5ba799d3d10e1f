//===- Main.cpp - main() of executables compiled by nnc -------------------===//
//
// `nnc model.nn -o model` links the model's object, which defines
// nnc_program_model (the model's nnc_model_def), with this
// library (libnnc_main.a) and the runtime (libnnc_runtime.a).
//
//===----------------------------------------------------------------------===//
#include "runtime/main/NncMain.h"

extern "C" const nnc_model_def nnc_program_model;

int main(int argc, char **argv) {
  return nnc_main(&nnc_program_model, argc, argv);
}
