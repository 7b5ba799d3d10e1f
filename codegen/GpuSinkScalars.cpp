//===- GpuSinkScalars.cpp - scalar arguments read inside the kernels -------===//
//
// Host code between kernels that reads a 0-d argument (the learning rate,
// the step, the dropout key) and computes scalars from it (Adam's bias
// corrections) would read device memory on the host, and would make
// gpu-async-region wait for the device in the middle of the step. This
// pass clones such chains into each gpu.launch that uses them, where every
// thread computes them again (a few flops), and leaves the host copies to
// dead-code elimination. Only the read-only scalar arguments of the ABI
// are read this way, so moving the read later changes nothing.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace nnc {
#define GEN_PASS_DEF_GPUSINKSCALARS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

bool isReadOnlyScalarArgument(Value v, func::FuncOp func) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &func.getBody().front())
    return false;
  for (StringRef attr : {nnc::kLearningRateAttr, nnc::kStepAttr, nnc::kKeyAttr})
    if (func.getArgAttr(arg.getArgNumber(), attr))
      return true;
  return false;
}

/// Collects, in definition order, the ops that compute `v` from read-only
/// scalar arguments and constants; false if `v` depends on anything else.
bool collectChain(Value v, func::FuncOp func, SetVector<Operation *> &chain) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (chain.contains(def))
    return true;
  if (auto load = dyn_cast<memref::LoadOp>(def)) {
    if (!isReadOnlyScalarArgument(load.getMemref(), func) ||
        !load.getIndices().empty())
      return false;
  } else if (!isPure(def) || def->getNumRegions() != 0) {
    return false;
  } else {
    for (Value operand : def->getOperands())
      if (!collectChain(operand, func, chain))
        return false;
  }
  chain.insert(def);
  return true;
}

struct GpuSinkScalars : nnc::impl::GpuSinkScalarsBase<GpuSinkScalars> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    func.walk([&](gpu::LaunchOp launch) {
      SetVector<Value> captured;
      getUsedValuesDefinedAbove(launch.getBody(), captured);
      SetVector<Operation *> chain;
      SmallVector<Value> sunk;
      for (Value v : captured) {
        SetVector<Operation *> ops;
        // Constants alone are upstream's business (outlining sinks them).
        if (collectChain(v, func, ops) &&
            llvm::any_of(ops, [](Operation *op) {
              return isa<memref::LoadOp>(op);
            })) {
          chain.insert(ops.begin(), ops.end());
          sunk.push_back(v);
        }
      }
      if (sunk.empty())
        return;
      // Clone in the host's order (a chain may share ops), at the top of
      // the kernel body.
      SmallVector<Operation *> ordered(chain.begin(), chain.end());
      llvm::sort(ordered, [](Operation *a, Operation *b) {
        return a->isBeforeInBlock(b);
      });
      OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
      IRMapping mapping;
      for (Operation *op : ordered)
        b.clone(*op, mapping);
      for (Value v : sunk)
        replaceAllUsesInRegionWith(v, mapping.lookup(v), launch.getBody());
    });
  }
};
} // namespace
