//===- Summary.h - the compile-time report of a training step --*- C++ -*-===//
#ifndef NNC_PASSES_SUMMARY_H
#define NNC_PASSES_SUMMARY_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc {

/// Prints `nnc --emit=summary`: per layer (with its source line) the
/// parameters, the FLOPs of one training step (forward, backward and the
/// optimizer's update, at the train block's batch size) and the forward
/// values kept for the backward pass; then the totals and the peak memory
/// of one step (variables, gradients, and the largest set of tensors live
/// at once in <model>_train_step, by a liveness walk of its ops). Run after
/// the functions pipeline (nnc-optimizer), before the graph is described
/// and erased.
mlir::LogicalResult printTrainingSummary(mlir::ModuleOp module,
                                         llvm::raw_ostream &os);

/// The memory of one call of an entry point at a batch size, in bytes.
struct StepMemory {
  int64_t variables = 0; // arguments marked as variables
  int64_t batch = 0;     // the other arguments: the batch's tensors
  int64_t peak = 0;      // the most bytes of tensors live at once
};

/// Measures `entry` (a function on tensors, before bufferization) with its
/// dynamic (batch) dims at `batch`: a value lives from its op to its last
/// use, in program order.
StepMemory measureStep(mlir::func::FuncOp entry, int64_t batch);

} // namespace nnc

#endif // NNC_PASSES_SUMMARY_H
