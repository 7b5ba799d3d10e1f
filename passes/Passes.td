//===- Passes.td - graph-level passes of nnc ---------------*- tablegen -*-===//
#ifndef NNC_PASSES_TD
#define NNC_PASSES_TD

include "mlir/Pass/PassBase.td"

def PruneGraph : Pass<"nnc-prune-graph", "mlir::ModuleOp"> {
  let summary = "removes ops and variables that no output, loss or metric uses";
  let description = [{
    Values bound but never used by an `nnc.output`, `nnc.loss` or
    `nnc.metric` are dropped, and so are the `nnc.variable`s that no
    remaining `nnc.load` reads. Keeps the graph that later phases
    differentiate and lower down to what the model computes.
  }];
  let dependentDialects = ["::nnc::NncDialect"];
}

#endif // NNC_PASSES_TD
