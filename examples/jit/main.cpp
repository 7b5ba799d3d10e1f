//===- main.cpp - using nnc's JIT from C++ ---------------------------------===//
//
// Compiles a .nn model at run time, initializes it and classifies a batch.
//   nnc-jit-example MODEL.nn [BATCH]
//
//===----------------------------------------------------------------------===//
#include "codegen/Jit.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.nn [BATCH]\n", argv[0]);
    return 2;
  }
  int64_t batch = argc > 2 ? std::atoll(argv[2]) : 4;
  try {
    auto start = std::chrono::steady_clock::now();
    auto code = nnc::compileFile(argv[1]);
    std::chrono::duration<double> compiled =
        std::chrono::steady_clock::now() - start;
    nnc::Model model(code);
    model.init(42);
    std::printf("model %s: %d variables, compiled in %.2f s\n",
                code->name().c_str(), model.numVariables(), compiled.count());

    // Inputs of a fixed pattern, one buffer per input and output.
    std::vector<std::vector<float>> inputs, outputs;
    std::vector<const void *> in;
    std::vector<void *> out;
    for (int i = 0; i < model.numInputs(); ++i) {
      inputs.emplace_back(batch * model.inputSize(i));
      for (size_t k = 0; k < inputs.back().size(); ++k)
        inputs.back()[k] = (float)(k % 17) / 17.0f;
      in.push_back(inputs.back().data());
    }
    for (int i = 0; i < model.numOutputs(); ++i) {
      outputs.emplace_back(batch * model.outputSize(i));
      out.push_back(outputs.back().data());
    }
    model.predict(batch, in, out);
    for (int i = 0; i < model.numOutputs(); ++i) {
      std::printf("%s[0]:", model.outputName(i).c_str());
      for (int64_t k = 0; k < model.outputSize(i); ++k)
        std::printf(" %.4f", outputs[i][k]);
      std::printf("\n");
    }
    // The same source again: the first compilation is reused.
    std::printf("cached: %s\n",
                nnc::compileFile(argv[1]) == code ? "yes" : "no");
  } catch (const nnc::JitError &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
