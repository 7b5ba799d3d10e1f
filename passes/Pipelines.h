//===- Pipelines.h - the phases of the nnc driver ---------------*- C++ -*-===//
//
// The driver runs named phases in order; `--emit=` stops after one. Each
// phase is a function that adds its passes to a pass manager, to be read
// top to bottom.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_PASSES_PIPELINES_H
#define NNC_PASSES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace nnc {

struct PipelineOptions {
  unsigned optLevel = 2;
};

/// The graph phase: the imported model, cleaned of unused values
/// (`--emit=nn` prints its result).
void buildGraphPipeline(mlir::OpPassManager &pm, const PipelineOptions &opts);

} // namespace nnc

#endif // NNC_PASSES_PIPELINES_H
