//===- TileAndVectorize.cpp - CPU tiling, epilogue fusion, vectors --------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "mlir/Transforms/Passes.h"

namespace nnc {
#define GEN_PASS_DEF_TILEANDVECTORIZE
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using LoopType = scf::SCFTilingOptions::LoopType;

static SmallVector<OpFoldResult> indexAttrs(OpBuilder &b,
                                            ArrayRef<int64_t> values) {
  SmallVector<OpFoldResult> out;
  for (int64_t v : values)
    out.push_back(b.getIndexAttr(v));
  return out;
}

/// Ops whose result tiles are computed by a reduction over a window or a
/// contraction: worth fusing into their consumer's tiles.
static bool isAnchor(Operation *op) {
  return isa<linalg::MatmulOp, linalg::MatmulTransposeAOp,
             linalg::BatchMatmulOp, linalg::Conv2DNhwcHwcfOp,
             linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcSumOp>(op);
}

static bool isParallelElementwise(linalg::LinalgOp op) {
  return op.getNumLoops() == op.getNumParallelLoops() &&
         llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isProjectedPermutation(); });
}

/// The anchor whose result `consumer` reads, when it is the only reader.
static Operation *fusableAnchor(linalg::LinalgOp consumer) {
  if (!isa<linalg::GenericOp>(consumer) || !isParallelElementwise(consumer))
    return nullptr;
  for (OpOperand *in : consumer.getDpsInputOperands()) {
    Operation *producer = in->get().getDefiningOp();
    if (producer && isAnchor(producer) && producer->hasOneUse() &&
        cast<linalg::LinalgOp>(producer).getNumParallelLoops() ==
            consumer.getNumLoops())
      return producer;
  }
  return nullptr;
}

/// Tiles `consumer` and fuses the producers `fuse` accepts into the tiles.
static FailureOr<scf::SCFTileAndFuseResult>
tileAndFuse(RewriterBase &rw, Operation *consumer, ArrayRef<int64_t> sizes,
            LoopType type, llvm::function_ref<bool(Operation *)> fuse,
            bool fuseDestinations = true) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(indexAttrs(rw, sizes));
  tiling.setLoopType(type);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer, bool isDestination) {
        // A destination fused into a loop over a reduced dim would reset
        // the accumulator on every iteration.
        if (isDestination && !fuseDestinations)
          return std::make_tuple(false, false);
        return std::make_tuple(fuse(producer.getOwner()), false);
      });
  rw.setInsertionPoint(consumer);
  auto result = scf::tileConsumerAndFuseProducersUsingSCF(
      rw, cast<TilingInterface>(consumer), options);
  if (failed(result))
    return failure();
  for (auto [orig, replacement] : result->replacements)
    rw.replaceAllUsesWith(orig, replacement);
  return result;
}

static FailureOr<scf::SCFTilingResult> tile(RewriterBase &rw, Operation *op,
                                            ArrayRef<int64_t> sizes,
                                            LoopType type) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(indexAttrs(rw, sizes));
  tiling.setLoopType(type);
  rw.setInsertionPoint(op);
  auto result = scf::tileUsingSCF(rw, cast<TilingInterface>(op), tiling);
  if (failed(result))
    return failure();
  rw.replaceOp(op, result->replacements);
  return result;
}

/// A tile size for a static dim of `size`: `preferred` when it divides the
/// size, else a smaller power of two that does, else the whole dim when it
/// is not larger than `preferred`, else `preferred` (the loop is peeled).
static int64_t pickTile(int64_t size, int64_t preferred) {
  if (ShapedType::isDynamic(size))
    return preferred;
  if (size <= preferred)
    return size;
  for (int64_t t = preferred; t >= 8; t /= 2)
    if (size % t == 0)
      return t;
  return preferred;
}

/// The largest tile in (preferred / 2, preferred] that divides `size` (no
/// remainder), else pickTile's choice.
static int64_t pickDivisor(int64_t size, int64_t preferred) {
  if (!ShapedType::isDynamic(size))
    for (int64_t t = preferred; t > preferred / 2; --t)
      if (size % t == 0)
        return t;
  return pickTile(size, preferred);
}

namespace {
struct TileAndVectorize : nnc::impl::TileAndVectorizeBase<TileAndVectorize> {
  using TileAndVectorizeBase::TileAndVectorizeBase;

  SmallVector<scf::ForOp> toPeel;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rw(&getContext());
    toPeel.clear(); // the loops of the previous function are gone
    SmallVector<Operation *> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && !isa<linalg::FillOp>(op))
        ops.push_back(op);
    });
    llvm::DenseSet<Operation *> done;
    for (Operation *op : llvm::reverse(ops)) {
      if (done.contains(op))
        continue;
      auto linalgOp = cast<linalg::LinalgOp>(op);
      Operation *anchor = isAnchor(op) ? op : fusableAnchor(linalgOp);

      if (anchor) {
        done.insert(anchor);
        if (isa<linalg::MatmulOp, linalg::MatmulTransposeAOp>(anchor))
          tileMatmul(rw, op, cast<linalg::LinalgOp>(anchor));
        else if (!isa<linalg::BatchMatmulOp>(anchor))
          tileWindowed(rw, op, cast<linalg::LinalgOp>(anchor));
        else
          tileByBatch(rw, linalgOp, done);
      } else {
        tileByBatch(rw, linalgOp, done);
      }
    }
    // Padding (of convolution and pooling inputs): one sample per thread
    // iteration rather than one serial copy of the whole batch.
    SmallVector<tensor::PadOp> pads;
    func.walk([&](tensor::PadOp pad) {
      if (pad.getSourceType().getRank() > 0 &&
          pad.getSourceType().isDynamicDim(0))
        pads.push_back(pad);
    });
    for (tensor::PadOp pad : pads) {
      SmallVector<int64_t> sizes(pad.getResultType().getRank(), 0);
      sizes[0] = 1;
      (void)tile(rw, pad, sizes, LoopType::ForallOp);
    }
    for (scf::ForOp loop : toPeel) {
      scf::ForOp partial;
      (void)scf::peelForLoopAndSimplifyBounds(rw, loop, partial);
    }
    if (failed(cleanup(func)))
      return signalPassFailure();
    vectorizeStatic(rw, func);
    if (failed(cleanup(func)))
      return signalPassFailure();
    // Keep accumulators in registers across reduction loops.
    func.walk([&](scf::ForOp loop) {
      (void)hoistLoopInvariantSubsets(rw, loop);
    });
    if (failed(cleanup(func)))
      return signalPassFailure();
  }

  LogicalResult cleanup(func::FuncOp func) {
    OpPassManager pm("func.func");
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    return runPipeline(pm, func);
  }

  /// matmul [M, N, K] (+ epilogue), or matmul_transpose_a (the lhs [K, M]):
  /// forall over blockM x tileN blocks, a peeled loop over tileM rows, a
  /// loop over K.
  void tileMatmul(IRRewriter &rw, Operation *consumer,
                  linalg::LinalgOp matmul) {
    auto out = cast<RankedTensorType>(matmul->getResult(0).getType());
    int64_t n = out.getDimSize(1);
    bool transposed = isa<linalg::MatmulTransposeAOp>(matmul);
    int64_t k = cast<ShapedType>(matmul.getDpsInputs()[0].getType())
                    .getDimSize(transposed ? 0 : 1);
    int64_t tn = pickTile(n, tileN);
    // Fuse the anchor and the fill of its accumulator, nothing else: other
    // producers would be recomputed in every tile.
    Operation *target = matmul;
    auto fuseOuter = [&](Operation *p) {
      return isa<linalg::FillOp>(p) || p == target;
    };
    auto fuseInner = [&](Operation *p) {
      return isa<linalg::FillOp>(p) || isAnchor(p);
    };
    int64_t bm = std::max<int64_t>(blockM / tileM, 1) * tileM;
    // A small static output (a filter gradient such as 9 x 32, whose work
    // is its long reduction) in one block would run on one thread: half
    // as many columns give a second block.
    int64_t m = out.getDimSize(0);
    if (!ShapedType::isDynamic(m) && m <= bm && tn >= n && tn == tileN)
      tn /= 2;
    auto outer =
        tileAndFuse(rw, consumer, {bm, tn}, LoopType::ForallOp, fuseOuter);

    if (failed(outer))
      return;

    Operation *tiledConsumer = outer->tiledAndFusedOps.front();
    auto inner = tileAndFuse(rw, tiledConsumer, {tileM, 0}, LoopType::ForOp,
                             fuseInner);
    if (failed(inner))
      return;
    for (LoopLikeOpInterface loop : inner->loops)
      if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
        toPeel.push_back(forOp);
    // The K loop: tileK steps per iteration when they divide K.
    int64_t tk = 1;
    for (int64_t t = tileK; t > 1; t /= 2)
      if (!ShapedType::isDynamic(k) && k % t == 0) {
        tk = t;
        break;
      }
    for (Operation *op : inner->tiledAndFusedOps)
      if (isa<linalg::MatmulOp, linalg::MatmulTransposeAOp>(op)) {
        (void)tile(rw, op, {0, 0, tk}, LoopType::ForOp);
        break;
      }
  }

  /// conv_2d_nhwc_hwcf / pooling_nhwc_* [N, OH, OW, C|F, KH, KW(, C)] (+
  /// epilogue): forall over (batch, output row), a peeled loop over tileM
  /// output columns and tileN channels, one window tap at a time.
  void tileWindowed(IRRewriter &rw, Operation *consumer,
                    linalg::LinalgOp anchor) {
    auto out = cast<RankedTensorType>(anchor->getResult(0).getType());
    if (out.getRank() != 4)
      return;
    Operation *target = anchor;
    auto fuseOuter = [&](Operation *p) {
      return isa<linalg::FillOp>(p) || p == target;
    };
    auto fuse = [&](Operation *p) {
      return isa<linalg::FillOp>(p) || isAnchor(p);
    };
    auto outer =
        tileAndFuse(rw, consumer, {1, 1, 0, 0}, LoopType::ForallOp, fuseOuter);
    if (failed(outer))
      return;
    int64_t tw = pickDivisor(out.getDimSize(2), tileM);
    int64_t tc = pickTile(out.getDimSize(3), tileN);
    auto inner = tileAndFuse(rw, outer->tiledAndFusedOps.front(),
                             {0, 0, tw, tc}, LoopType::ForOp, fuse);
    if (failed(inner))
      return;
    for (LoopLikeOpInterface loop : inner->loops)
      if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
        toPeel.push_back(forOp);
    for (Operation *op : inner->tiledAndFusedOps) {
      if (!isAnchor(op))
        continue;
      // One window tap (kh, kw) per iteration: decomposes to a 1-D op.
      auto windowed = cast<linalg::LinalgOp>(op);
      SmallVector<int64_t> sizes(windowed.getNumLoops(), 0);
      sizes[4] = 1;
      sizes[5] = 1;
      (void)tile(rw, op, sizes, LoopType::ForOp);
      break;
    }
  }

  /// Any other op: one sample at a time along a dynamic (batch) dim 0,
  /// threads if it is parallel; static ops are left whole. Producers that
  /// also go sample by sample (softmax's max and sum before its division,
  /// elementwise chains) are fused into the same loop: one parallel region
  /// and one pass per sample instead of one per op.
  void tileByBatch(IRRewriter &rw, linalg::LinalgOp op,
                   llvm::DenseSet<Operation *> &done) {
    if (op.getNumLoops() == 0)
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (!ShapedType::isDynamic(ranges[0]))
      return;
    SmallVector<int64_t> sizes(ranges.size(), 0);
    sizes[0] = 1;
    bool parallel =
        op.getIteratorTypesArray()[0] == utils::IteratorType::parallel;
    auto fuse = [&](Operation *p) {
      auto producer = dyn_cast<linalg::LinalgOp>(p);
      if (isa<linalg::FillOp>(p))
        return true;
      if (!producer || isAnchor(p) || producer.getNumLoops() == 0 ||
          producer.getIteratorTypesArray()[0] !=
              utils::IteratorType::parallel)
        return false;
      // Row-separable: the producer's dim 0 is its result's dim 0.
      AffineMap out = producer.getIndexingMapMatchingResult(
          cast<OpResult>(producer->getResult(0)));
      return out.getNumResults() > 0 &&
             out.getResult(0) == rw.getAffineDimExpr(0);
    };
    auto result = tileAndFuse(rw, op, sizes,
                              parallel ? LoopType::ForallOp : LoopType::ForOp,
                              fuse, /*fuseDestinations=*/parallel);
    // A fused producer that other ops still read is left to be tiled on
    // its own, not run whole and serial.
    if (succeeded(result))
      for (Operation *p : result->fusedProducers)
        if (p->use_empty())
          done.insert(p);
  }

  /// Vectorizes every linalg op with static shapes of bounded size.
  void vectorizeStatic(IRRewriter &rw, func::FuncOp func) {
    // Decompose 2-D windows of one tap into 1-D convolutions and pooling.
    {
      RewritePatternSet patterns(&getContext());
      linalg::populateDecomposeConvolutionPatterns(patterns);
      (void)applyPatternsAndFoldGreedily(func, std::move(patterns));
    }
    SmallVector<linalg::LinalgOp> candidates;
    func.walk([&](linalg::LinalgOp op) {
      if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
        return;
      int64_t elements = 1;
      for (int64_t r : op.getStaticLoopRanges())
        elements *= r;
      // Contraction, convolution and pooling tiles are register tiles by
      // construction; anything else must be small enough to unroll.
      if (elements <= maxVectorElements ||
          isa<linalg::ContractionOpInterface, linalg::ConvolutionOpInterface>(
              op.getOperation()))
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates) {
      if (failed(linalg::vectorizeOpPrecondition(op)))
        continue;
      rw.setInsertionPoint(op);
      (void)linalg::vectorize(rw, op);
    }
    // Raise broadcast + mul + reduce back to vector.contract (lowered to
    // FMAs later), and fold the vectorizer's transfers.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateSinkVectorBroadcastPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, &getContext());
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns,
                                                         &getContext());
    (void)applyPatternsAndFoldGreedily(func, std::move(patterns));
  }
};
} // namespace
