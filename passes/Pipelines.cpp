//===- Pipelines.cpp - the phases of the nnc driver -----------------------===//
#include "passes/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Transforms/Passes.h"

using namespace mlir;

void nnc::buildGraphPipeline(OpPassManager &pm, const PipelineOptions &opts) {
  pm.addPass(createPruneGraph());
  if (opts.optLevel > 0)
    pm.addPass(createCanonicalizerPass());
}
