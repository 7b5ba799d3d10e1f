//===- GpuPrepare.cpp - bufferized linalg ready for GPU mapping ------------===//
//
// After this pass every linalg op of a function becomes, through
// convert-linalg-to-parallel-loops, one scf.parallel over its parallel
// dimensions with its reductions as scf.for loops inside: one kernel per
// op, one thread per output element. Without it, an op whose reduction
// dimensions come first (a bias gradient: sum over the batch) becomes a
// host loop that launches a kernel per iteration, and an op without
// parallel dimensions (the loss: a sum to a scalar) runs on the host,
// reading device memory.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_GPUPREPARE
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// linalg.map as a linalg.generic (upstream's generalization skips maps:
/// their body does not take the output element).
FailureOr<linalg::GenericOp> generalizeMap(RewriterBase &rewriter,
                                           linalg::MapOp map) {
  int64_t rank = map.getInit().getType().getRank();
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<AffineMap> maps(map.getInputs().size() + 1,
                              AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = rewriter.create<linalg::GenericOp>(
      map.getLoc(), TypeRange{}, map.getInputs(), ValueRange{map.getInit()},
      maps, iterators);
  Block &source = map.getMapper().front();
  SmallVector<Type> argTypes(source.getArgumentTypes());
  SmallVector<Location> argLocs(argTypes.size(), map.getLoc());
  argTypes.push_back(getElementTypeOrSelf(map.getInit().getType()));
  argLocs.push_back(map.getLoc());
  Block *body = rewriter.createBlock(&generic.getRegion(), {}, argTypes,
                                     argLocs);
  IRMapping mapping;
  for (auto [from, to] : llvm::zip(source.getArguments(), body->getArguments()))
    mapping.map(from, to);
  rewriter.setInsertionPointToEnd(body);
  for (Operation &op : source)
    rewriter.clone(op, mapping);
  rewriter.eraseOp(map);
  return generic;
}

struct GpuPrepare : nnc::impl::GpuPrepareBase<GpuPrepare> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());

    // Copies (bufferization's, nnc-in-place-updates') become linalg.copy, so
    // that they run as kernels too.
    func.walk([&](memref::CopyOp copy) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    });

    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp named : ops) {
      if (!named.hasPureBufferSemantics()) {
        named->emitError("nnc-gpu-prepare expects bufferized linalg ops");
        return signalPassFailure();
      }
      // The kernel's name keeps what the op was (nnc-gpu-name-kernels).
      // ("matmul", "conv_2d_nhwc_hwcf", "generic").
      Location loc = NameLoc::get(
          rewriter.getStringAttr(named->getName().stripDialect()),
          named->getLoc());
      linalg::GenericOp generic = dyn_cast<linalg::GenericOp>(*named);
      if (!generic) {
        rewriter.setInsertionPoint(named);
        auto map = dyn_cast<linalg::MapOp>(*named);
        FailureOr<linalg::GenericOp> g =
            map ? generalizeMap(rewriter, map)
                : linalg::generalizeNamedOp(rewriter, named);
        if (failed(g)) {
          named->emitError("nnc-gpu-prepare cannot generalize this op");
          return signalPassFailure();
        }
        generic = *g;
      }
      generic->setLoc(loc);

      // Parallel dimensions first, reductions last.
      SmallVector<unsigned> order;
      SmallVector<utils::IteratorType> iterators =
          generic.getIteratorTypesArray();
      for (auto [i, it] : llvm::enumerate(iterators))
        if (it == utils::IteratorType::parallel)
          order.push_back(i);
      unsigned numParallel = order.size();
      for (auto [i, it] : llvm::enumerate(iterators))
        if (it != utils::IteratorType::parallel)
          order.push_back(i);
      if (!llvm::equal(order, llvm::seq<unsigned>(0, order.size()))) {
        rewriter.setInsertionPoint(generic);
        FailureOr<linalg::GenericOp> g =
            linalg::interchangeGenericOp(rewriter, generic, order);
        if (failed(g)) {
          generic->emitError("nnc-gpu-prepare cannot interchange loops");
          return signalPassFailure();
        }
        generic = *g;
      }

      // No parallel dimension: one thread does it all, on the device.
      if (numParallel == 0) {
        rewriter.setInsertionPoint(generic);
        Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
        Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
        auto serial = rewriter.create<scf::ParallelOp>(
            loc, ValueRange{zero}, ValueRange{one}, ValueRange{one});
        rewriter.moveOpBefore(generic,
                              serial.getBody()->getTerminator());
      }
    }
  }
};

} // namespace
