//===- GpuDeviceMemory.cpp - host allocations in device memory -------------===//
//
// The buffers a GPU entry point allocates (its temporaries) are only read
// and written by kernels: they become gpu.alloc / gpu.dealloc, which
// gpu-async-region then orders on the function's stream and gpu-to-llvm
// turns into calls of the runtime's mgpuMemAlloc / mgpuMemFree
// (runtime/Cuda.cpp: a caching device allocator).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_GPUDEVICEMEMORY
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
struct GpuDeviceMemory : nnc::impl::GpuDeviceMemoryBase<GpuDeviceMemory> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    WalkResult result = getOperation().walk([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return WalkResult::advance();
      rewriter.setInsertionPoint(op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (!alloc.getType().getLayout().isIdentity()) {
          alloc->emitError("nnc-gpu-device-memory: allocation with a layout");
          return WalkResult::interrupt();
        }
        auto gpuAlloc = rewriter.create<gpu::AllocOp>(
            alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(),
            ValueRange{}, alloc.getDynamicSizes(), alloc.getSymbolOperands(),
            /*hostShared=*/false);
        rewriter.replaceOp(alloc, gpuAlloc.getMemref());
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        rewriter.create<gpu::DeallocOp>(dealloc.getLoc(), /*asyncToken=*/Type(),
                                        ValueRange{}, dealloc.getMemref());
        rewriter.eraseOp(dealloc);
      } else if (isa<memref::AllocaOp, memref::ReallocOp>(op)) {
        op->emitError("nnc-gpu-device-memory: unexpected host allocation");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
