//===- TileAndVectorize.cpp - CPU tiling, epilogue fusion, vectors --------===//
#include "codegen/BatchParts.h"
#include "codegen/LinalgBuilder.h"
#include "codegen/Passes.h"
#include "ir/NncOps.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "mlir/Transforms/Passes.h"

namespace nnc {
#define GEN_PASS_DEF_TILEANDVECTORIZE
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using LoopType = scf::SCFTilingOptions::LoopType;
using nnc::addParts;
using nnc::indexAttrs;
using nnc::loop;
using nnc::loops;
using nnc::kBatchParts;
using nnc::overBatchParts;

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
            bool fuseDestinations = true,
            ArrayRef<int64_t> interchange = {}) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(indexAttrs(rw, sizes));
  tiling.setLoopType(type);
  tiling.setInterchange(interchange);
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

/// The number of iterations of `op`'s loop nest (its loop ranges
/// multiplied) times `scale`, computed before `op` is tiled.
static Value loopWork(RewriterBase &rw, linalg::LinalgOp op,
                      int64_t scale = 1) {
  OpBuilder::InsertionGuard guard(rw);
  rw.setInsertionPoint(op);
  Location loc = op.getLoc();
  Value work = rw.create<arith::ConstantIndexOp>(loc, scale);
  for (Range r : op.createLoopRanges(rw, loc))
    work = rw.create<arith::MulIOp>(
        loc, work, getValueOrCreateConstantIndexOp(rw, loc, r.size));
  return work;
}

/// Tells nnc-parallel-to-openmp how much work `loop` (a tiling's outer
/// loop) holds, so that it does not fork threads for too little.
static void hintWork(RewriterBase &rw, LoopLikeOpInterface loop, Value work) {
  auto forall = dyn_cast_or_null<scf::ForallOp>(loop.getOperation());
  if (!forall)
    return;
  OpBuilder::InsertionGuard guard(rw);
  rw.setInsertionPointToStart(forall.getBody());
  rw.create<nnc::ParallelWorkOp>(forall.getLoc(), work);
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

/// The columns of a register tile for `n` columns (static): the tile's rows
/// are loop-carried vectors, and LLVM keeps a loop-carried vector in
/// registers only when it is at most one register wide or a whole number
/// of registers (a <28 x float> accumulator on AVX-512, or <10 x float> on
/// AVX2, is taken apart into scalars and spilled on every iteration). So
/// `n` whole when it fits `preferred` and is such a width; else the widest
/// multiple of the register's `lanes` up to `preferred` whose remainder
/// (the peeled tile) is itself at most one register.
static int64_t columnTile(int64_t n, int64_t preferred, int64_t lanes) {
  auto fits = [&](int64_t w) { return w <= lanes || w % lanes == 0; };
  if (ShapedType::isDynamic(n))
    return preferred;
  if (n <= preferred && fits(n))
    return n;
  for (int64_t t = preferred / lanes * lanes; t >= lanes; t -= lanes)
    if (fits(n % t))
      return t;
  return std::min(n, preferred);
}

namespace {
struct TileAndVectorize : nnc::impl::TileAndVectorizeBase<TileAndVectorize> {
  using TileAndVectorizeBase::TileAndVectorizeBase;

  SmallVector<scf::ForOp> toPeel;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rw(&getContext());
    toPeel.clear(); // the loops of the previous function are gone
    foldTransposedLhs(rw, func);
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
      if (auto strides = filterGradientStrides(linalgOp)) {
        tileFilterGradient(rw, linalgOp, strides->first, strides->second,
                           done);
        continue;
      }
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
    SmallVector<Operation *> pads;
    func.walk([&](Operation *op) {
      auto pad = dyn_cast<tensor::PadOp>(op);
      auto insert = dyn_cast<tensor::InsertSliceOp>(op);
      RankedTensorType source = pad      ? pad.getSourceType()
                                : insert ? insert.getSourceType()
                                         : RankedTensorType();
      if (source && source.getRank() > 0 && source.isDynamicDim(0) &&
          (pad || insert.getDest().getDefiningOp<linalg::FillOp>()))
        pads.push_back(op);
    });
    for (Operation *op : pads)
      if (failed(padBySample(rw, op)))
        if (auto pad = dyn_cast<tensor::PadOp>(op)) {
          SmallVector<int64_t> sizes(pad.getResultType().getRank(), 0);
          sizes[0] = 1;
          (void)tile(rw, pad, sizes, LoopType::ForallOp);
        }
    tileBatchMatmuls(rw, func);
    tileDynamicRows(rw, func);
    peel(rw);
    if (failed(cleanup(func)))
      return signalPassFailure();
    boundVectors(rw, func);
    peel(rw);
    if (failed(cleanup(func)))
      return signalPassFailure();
    samplesAsMatmuls(rw, func);
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

  /// A padding by a constant of a batch (static sizes but the batch,
  /// static pads, none on the batch dim), or a batch inserted into a
  /// filled tensor (dy dilated by a stride, as nnc-lower-to-linalg built
  /// strided input gradients before they went by taps), written sample by
  /// sample in place: an
  /// scf.forall whose iteration fills its sample's slice of the result and
  /// copies the sample into the slice's interior (a linalg.generic), both
  /// static ops that are then bounded and vectorized as any other. Tiled
  /// as a tensor.pad instead, each sample was padded into a temporary of
  /// its own (an allocation, a fill, an element-by-element memrefCopy of
  /// the strided interior) then copied into the result: 4-5% of cnn.nn's
  /// training step (the input gradient's padded dy, the pooling
  /// gradient's remainder row); the insertion was one serial copy.
  LogicalResult padBySample(IRRewriter &rw, Operation *op) {
    Value from, value;
    SmallVector<OpFoldResult> lows, highs, steps;
    if (auto pad = dyn_cast<tensor::PadOp>(op)) {
      from = pad.getSource();
      value = pad.getConstantPaddingValue();
      lows = pad.getMixedLowPad();
      highs = pad.getMixedHighPad();
    } else {
      auto insert = cast<tensor::InsertSliceOp>(op);
      auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
      if (insert.getSourceType().getRank() != insert.getDestType().getRank() ||
          !fill->hasOneUse())
        return failure();
      from = insert.getSource();
      value = fill.value();
      lows = insert.getMixedOffsets();
      steps = insert.getMixedStrides();
    }
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    auto source = cast<RankedTensorType>(from.getType());
    int64_t rank = type.getRank();
    if (!value || type.getNumDynamicDims() != 1 || !type.isDynamicDim(0) ||
        source.getNumDynamicDims() != 1)
      return failure();
    // Static offsets and strides, none on the batch dim.
    auto constants = [&](ArrayRef<OpFoldResult> v, int64_t batch)
        -> std::optional<SmallVector<int64_t>> {
      SmallVector<int64_t> out;
      for (OpFoldResult x : v) {
        std::optional<int64_t> c = getConstantIntValue(x);
        if (!c || (out.empty() && *c != batch))
          return std::nullopt;
        out.push_back(*c);
      }
      if (v.empty())
        out.assign(rank, batch);
      return out;
    };
    auto low = constants(lows, 0), high = constants(highs, 0),
         step = constants(steps, 1);
    if (!low || !high || !step)
      return failure();
    Location loc = op->getLoc();
    rw.setInsertionPoint(op);
    Value n = rw.create<tensor::DimOp>(loc, from, 0);
    int64_t sample = 1;
    for (int64_t i = 1; i < rank; ++i)
      sample *= type.getDimSize(i);
    Value work = rw.create<arith::MulIOp>(
        loc, n, rw.create<arith::ConstantIndexOp>(loc, sample));
    Value result = rw.create<tensor::EmptyOp>(loc, type.getShape(),
                                              type.getElementType(),
                                              ValueRange{n});
    auto forall = rw.create<scf::ForallOp>(
        loc, ArrayRef<OpFoldResult>{n}, ValueRange{result}, std::nullopt);
    rw.setInsertionPointToStart(forall.getBody());
    rw.create<nnc::ParallelWorkOp>(loc, work);
    Value i = forall.getInductionVar(0);
    auto attrs = [&](ArrayRef<int64_t> v) { return indexAttrs(rw, v); };
    SmallVector<OpFoldResult> ones = attrs(SmallVector<int64_t>(rank, 1));
    // The offsets and sizes of one sample of `t` at `offsets`, from `first`.
    auto sliceOf = [&](RankedTensorType t, OpFoldResult first,
                       ArrayRef<int64_t> offsets) {
      SmallVector<int64_t> sizes(t.getShape());
      sizes[0] = 1;
      SmallVector<OpFoldResult> at = {first};
      at.append(attrs(offsets.drop_front()));
      return std::make_pair(at, attrs(sizes));
    };
    SmallVector<int64_t> zeros(rank, 0);
    auto [outAt, outSizes] = sliceOf(type, i, zeros);
    Value mine = rw.create<tensor::ExtractSliceOp>(
        loc, forall.getRegionIterArgs()[0], outAt, outSizes, ones);
    // The whole slice is filled (LLVM makes it a memset), then its
    // interior overwritten: filling only the frame around the interior
    // measured slower (the pads' kernels and memsets 4.4% of cnn.nn's
    // step, against 3.2-4.0%).
    Value filled =
        rw.create<linalg::FillOp>(loc, value, mine).getResult(0);
    // The sample without its batch dim: an identity copy would fold away
    // (and become a memref.copy again).
    auto [srcAt, srcSizes] = sliceOf(source, i, zeros);
    auto sampleType = RankedTensorType::get(source.getShape().drop_front(),
                                            source.getElementType());
    Value sampleIn = rw.create<tensor::ExtractSliceOp>(
        loc, sampleType, from, srcAt, srcSizes, ones);
    auto [inAt, inSizes] = sliceOf(source, rw.getIndexAttr(0), *low);
    SmallVector<OpFoldResult> inSteps = attrs(*step);
    Value interior = rw.create<tensor::ExtractSliceOp>(loc, filled, inAt,
                                                       inSizes, inSteps);
    SmallVector<AffineMap> maps = {
        rw.getMultiDimIdentityMap(rank).dropResult(0),
        rw.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);
    Value copied =
        rw.create<linalg::GenericOp>(
              loc, TypeRange{interior.getType()}, ValueRange{sampleIn},
              ValueRange{interior}, maps, parallel,
              [](OpBuilder &b, Location l, ValueRange a) {
                b.create<linalg::YieldOp>(l, a[0]);
              })
            .getResult(0);
    Value padded = rw.create<tensor::InsertSliceOp>(loc, copied, filled, inAt,
                                                    inSizes, inSteps);
    rw.setInsertionPointToStart(forall.getTerminator().getBody());
    rw.create<tensor::ParallelInsertSliceOp>(
        loc, padded, forall.getRegionIterArgs()[0], outAt, outSizes, ones);
    rw.replaceOp(op, forall.getResult(0));
    return success();
  }

  /// Dense layers' weight gradients are x^T dy: a matmul whose left-hand
  /// side is a 2-D transpose reads the transpose's input directly
  /// (matmul_transpose_a: the register tile's rows are contiguous in x),
  /// instead of materializing x^T (a serial, strided copy of every
  /// activation, per step).
  static void foldTransposedLhs(IRRewriter &rw, func::FuncOp func) {
    SmallVector<linalg::MatmulOp> matmuls;
    func.walk([&](linalg::MatmulOp mm) { matmuls.push_back(mm); });
    for (linalg::MatmulOp mm : matmuls) {
      if (!mm.hasPureTensorSemantics())
        continue;
      auto t = mm.getDpsInputs()[0].getDefiningOp<linalg::TransposeOp>();
      if (!t || t.getPermutation() != ArrayRef<int64_t>{1, 0})
        continue;
      rw.setInsertionPoint(mm);
      rw.replaceOpWithNewOp<linalg::MatmulTransposeAOp>(
          mm, ValueRange{t.getInput(), mm.getDpsInputs()[1]},
          mm.getDpsInits());
      if (t->use_empty())
        rw.eraseOp(t);
    }
  }

  /// The right-hand side of `matmul` when it is a 2-D transpose (dx =
  /// dy W^T): each block then transposes its own K x tile-n panel of W, as
  /// a packed panel, instead of reading a materialized W^T.
  static linalg::TransposeOp transposedRhs(linalg::LinalgOp matmul) {
    if (!isa<linalg::MatmulOp>(matmul))
      return nullptr;
    auto t = matmul.getDpsInputs()[1].getDefiningOp<linalg::TransposeOp>();
    if (!t || t.getPermutation() != ArrayRef<int64_t>{1, 0})
      return nullptr;
    return t;
  }

  /// Peels the loops in `toPeel` so that full tiles have static shapes.
  /// Inner loops first: peeling an outer loop clones its body, and the
  /// clone's loops (the columns of a matmul's rows left) would otherwise
  /// stay unpeeled, with tiles of dynamic size that do not vectorize.
  void peel(IRRewriter &rw) {
    for (scf::ForOp loop : llvm::reverse(toPeel)) {
      scf::ForOp partial;
      (void)scf::peelForLoopAndSimplifyBounds(rw, loop, partial);
    }
    toPeel.clear();
  }

  /// Elements of `op`'s widest element type that `vectorUnroll` registers
  /// of `vectorBits` hold.
  int64_t vectorBound(linalg::LinalgOp op) {
    return std::max<int64_t>(1, vectorBits * vectorUnroll / widestBits(op));
  }

  /// Elements of `op`'s widest element type in one register.
  int64_t vectorLanes(linalg::LinalgOp op) {
    return std::max<int64_t>(1, vectorBits / widestBits(op));
  }

  static unsigned widestBits(linalg::LinalgOp op) {
    unsigned bits = 8;
    for (Value v : op->getOperands())
      if (auto t = dyn_cast<ShapedType>(v.getType());
          t && t.getElementType().isIntOrFloat())
        bits = std::max(bits, t.getElementTypeBitWidth());
    return bits;
  }

  /// Whether `v` is an anchor's result, directly or through the loops
  /// that tile its reduction (K, or a window's taps).
  static bool producedByAnchor(Value v) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (isAnchor(def))
      return true;
    if (auto loop = dyn_cast<scf::ForOp>(def))
      return producedByAnchor(
          loop.getYieldedValues()[cast<OpResult>(v).getResultNumber()]);
    return false;
  }

  /// Ops that are, or work on, the register tiles of a matmul, convolution
  /// or pooling (sized by tile-m x tile-n): the anchors, their epilogues
  /// and the fills of their accumulators.
  static bool inRegisterTile(linalg::LinalgOp op) {
    if (isAnchor(op) ||
        isa<linalg::ContractionOpInterface, linalg::ConvolutionOpInterface>(
            op.getOperation()))
      return true;
    for (Value v : op->getOperands())
      if (producedByAnchor(v))
        return true;
    return isa<linalg::FillOp>(op) && feedsAnchor(op->getResult(0));
  }

  /// Whether `v` is an anchor's accumulator: read by the anchor directly,
  /// through slices, or as the init of the loops that tile its reduction.
  static bool feedsAnchor(Value v) {
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isAnchor(user))
        return true;
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user))
        if (feedsAnchor(slice.getResult()))
          return true;
      if (auto loop = dyn_cast<scf::ForOp>(user))
        if (use.getOperandNumber() >= loop.getNumControlOperands() &&
            feedsAnchor(loop.getTiedLoopRegionIterArg(&use)))
          return true;
    }
    return false;
  }

  /// Tiles every static op outside the register tiles whose iteration
  /// space holds more than vectorBound() elements: from the innermost dim
  /// out, whole dims while they fit, then a part of the next (a divisor of
  /// it where one is close, else peeled), the outer dims one at a time. A
  /// large op not yet in a parallel loop gets an scf.forall over its outer
  /// parallel dim.
  void boundVectors(IRRewriter &rw, func::FuncOp func) {
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      // Windows and flips (maps with sums of dims or negative strides)
      // are left whole: their slices are not simple rectangles; so are
      // transposes.
      if (op.hasPureTensorSemantics() && !op.hasDynamicShape() &&
          op.getNumLoops() > 0 && !inRegisterTile(op) &&
          llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) {
            return m.isProjectedPermutation(/*allowZeroInResults=*/true);
          }))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      if (!llvm::all_of(op.getIndexingMapsArray(), keepsDimOrder)) {
        tileTranspose(rw, op);
        continue;
      }
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      int64_t bound = vectorBound(op);
      int64_t elements = 1;
      for (int64_t r : ranges)
        elements *= r;
      if (elements <= bound)
        continue;
      int64_t rank = ranges.size();
      SmallVector<int64_t> sizes(rank, 1);
      int64_t inTile = 1;
      for (int64_t i = rank - 1; i >= 0; --i) {
        if (inTile * ranges[i] <= bound) {
          sizes[i] = 0; // the whole dim: not tiled
          inTile *= ranges[i];
          continue;
        }
        int64_t room = std::max<int64_t>(bound / inTile, 1);
        sizes[i] = room;
        for (int64_t d = room; d > room / 2; --d)
          if (ranges[i] % d == 0) {
            sizes[i] = d;
            break;
          }
        break;
      }
      Operation *target = op;
      bool parallel = op.getIteratorTypesArray()[0] ==
                      utils::IteratorType::parallel;
      if (elements >= kParallelElements && parallel && sizes[0] != 0 &&
          ranges[0] % sizes[0] == 0 && !op->getParentOfType<scf::ForallOp>()) {
        SmallVector<int64_t> outer(rank, 0);
        outer[0] = sizes[0];
        auto result = tile(rw, op, outer, LoopType::ForallOp);
        if (failed(result))
          continue;
        target = result->tiledOps.front();
        sizes[0] = 0;
      }
      tileForPeeling(rw, target, sizes);
    }
  }

  /// Tiles `op` by `sizes` with scf.for loops, to be peeled (nothing when
  /// every size is 0).
  void tileForPeeling(IRRewriter &rw, Operation *op, ArrayRef<int64_t> sizes) {
    if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
      return;
    auto result = tile(rw, op, sizes, LoopType::ForOp);
    if (failed(result))
      return;
    for (LoopLikeOpInterface loop : result->loops)
      if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
        toPeel.push_back(forOp);
  }

  /// A projected permutation (zeros allowed) whose dims appear in
  /// increasing order: a tile's rows are contiguous in the operand, not a
  /// transpose's strided columns (which would be gathered element by
  /// element).
  static bool keepsDimOrder(AffineMap map) {
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true))
      return false;
    int64_t last = -1;
    for (AffineExpr e : map.getResults())
      if (auto dim = dyn_cast<AffineDimExpr>(e)) {
        if ((int64_t)dim.getPosition() < last)
          return false;
        last = dim.getPosition();
      }
    return true;
  }

  /// A transposing op (an operand's innermost dim is not the op's): square
  /// blocks over the two dims that are innermost in some operand, so that
  /// rows are read and written whole and the block is transposed in
  /// registers; the other dims one at a time.
  void tileTranspose(IRRewriter &rw, linalg::LinalgOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t rank = ranges.size();
    llvm::SmallDenseSet<int64_t> inner;
    for (AffineMap m : op.getIndexingMapsArray())
      for (AffineExpr e : llvm::reverse(m.getResults()))
        if (auto dim = dyn_cast<AffineDimExpr>(e)) {
          inner.insert(dim.getPosition());
          break;
        }
    int64_t bound = vectorBound(op);
    int64_t side = 1;
    while ((side * 2) * (side * 2) <= bound)
      side *= 2;
    SmallVector<int64_t> sizes(rank, 1);
    for (int64_t d : inner)
      sizes[d] = ranges[d] <= side ? 0 : side;
    if (inner.size() <= 2)
      tileForPeeling(rw, op, sizes);
  }

  /// The work of an element of an elementwise or row-wise op, in
  /// multiply-adds of a matmul (for nnc.parallel_work): such work is
  /// memory-bound, an element costs about as much as a 16-wide vector FMA.
  static constexpr int64_t kElementWork = 16;


  /// Ops at least this large (elements) are split across threads.
  static constexpr int64_t kParallelElements = 1 << 15;

  LogicalResult cleanup(func::FuncOp func) {
    OpPassManager pm("func.func");
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    if (failed(runPipeline(pm, func)))
      return failure();
    // A loop whose work was all folded or fused away keeps only its
    // nnc.parallel_work hint (which is not dead code): erase it.
    SmallVector<scf::ForallOp> idle;
    func.walk([&](scf::ForallOp loop) {
      if (loop.getNumResults() == 0 &&
          llvm::all_of(loop.getBody()->without_terminator(),
                       [](Operation &op) {
                         return isa<nnc::ParallelWorkOp>(op);
                       }))
        idle.push_back(loop);
    });
    for (scf::ForallOp loop : idle)
      loop.erase();
    return success();
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
    linalg::TransposeOp rhsTranspose = transposedRhs(matmul);
    auto fuseOuter = [&](Operation *p) {
      return isa<linalg::FillOp>(p) || p == target ||
             (rhsTranspose && p == rhsTranspose);
    };
    auto fuseInner = [&](Operation *p) {
      return isa<linalg::FillOp>(p) || isAnchor(p);
    };
    // B's rows a multiple of 2 KiB apart share a few cache sets (of L1
    // and of L2): its panels are packed (see packPanel), and blocks are
    // taller so that each packed panel serves more rows.
    auto bType = cast<ShapedType>(matmul.getDpsInputs()[1].getType());
    int64_t rowBytes = n * bType.getElementTypeBitWidth() / 8;
    bool pack = !rhsTranspose && !ShapedType::isDynamic(n) && n > tn &&
                rowBytes % kAliasingStride == 0 &&
                (ShapedType::isDynamic(k) || k * tn > kPackMin);
    // Likewise x's rows for x^T dy (see packStrips).
    auto aType = cast<ShapedType>(matmul.getDpsInputs()[0].getType());
    bool packLhs = transposed && n > tn &&
                   !ShapedType::isDynamic(aType.getDimSize(1)) &&
                   aType.getDimSize(1) * aType.getElementTypeBitWidth() / 8 %
                           kAliasingStride ==
                       0;
    bool tall = pack || packLhs || (rhsTranspose && n > tn);
    int64_t bm = std::max<int64_t>((tall ? kPackedBlockM : blockM) / tileM,
                                   1) *
                 tileM;
    // Static rows in blocks of equal size where a divisor is close (784
    // rows in 7 blocks of 112, not 3 of 256 and one of 16, which left one
    // thread with most of the work).
    if (tall && !ShapedType::isDynamic(out.getDimSize(0)) &&
        out.getDimSize(0) % tileM == 0)
      for (int64_t t = bm; t > bm / 4; t -= tileM)
        if (out.getDimSize(0) % t == 0) {
          bm = t;
          break;
        }
    // A small static output (a weight gradient such as 9 x 32, whose work
    // is its long reduction) in one block would run on one thread: half
    // as many columns give a second block.
    int64_t m = out.getDimSize(0);
    if (!ShapedType::isDynamic(m) && m <= bm && tn >= n && tn == tileN)
      tn /= 2;
    Value work = loopWork(rw, matmul);
    // Threads take contiguous runs of the blocks, the last dim fastest: a
    // dynamic number of rows in tall blocks (M = 576 as 256 + 256 + 64)
    // left one thread twice the other's work, where the column blocks
    // vary slowest each thread takes whole columns of blocks.
    SmallVector<int64_t> order;
    if (tall && ShapedType::isDynamic(m) && !packLhs)
      order = {1, 0};
    auto outer = tileAndFuse(rw, consumer, {bm, packLhs ? 0 : tn},
                             LoopType::ForallOp, fuseOuter,
                             /*fuseDestinations=*/true, order);

    if (failed(outer))
      return;
    hintWork(rw, outer->loops.front(), work);
    Operation *tiledConsumer = outer->tiledAndFusedOps.front();
    // Packed strips of x: a row of blocks loops over its column blocks
    // itself, so that it packs its strips once for all of them.
    scf::ForOp columns;
    if (packLhs) {
      auto tiles = tileAndFuse(rw, tiledConsumer, {0, tn}, LoopType::ForOp,
                               fuseInner);
      if (failed(tiles))
        return;
      columns = dyn_cast<scf::ForOp>(tiles->loops.front().getOperation());
      tiledConsumer = tiles->tiledAndFusedOps.front();
    }
    // The block's transposed panel of W goes to a buffer of its own (a
    // packed K x tile-n panel), not to a slice of a whole W^T.
    if (rhsTranspose)
      for (Operation *op : outer->tiledAndFusedOps)
        if (auto t = dyn_cast<linalg::TransposeOp>(op))
          if (auto slice = t.getInit().getDefiningOp<tensor::ExtractSliceOp>();
              slice && slice.getSource().getDefiningOp<tensor::EmptyOp>()) {
            rw.setInsertionPoint(t);
            Value own = rw.create<tensor::EmptyOp>(
                t.getLoc(), slice.getMixedSizes(),
                slice.getType().getElementType());
            rw.modifyOpInPlace(t, [&] { t.getInitMutable().assign(own); });
          }

    auto inner = tileAndFuse(rw, tiledConsumer, {tileM, 0}, LoopType::ForOp,
                             fuseInner);
    if (failed(inner))
      return;
    // The K loop: tileK steps per iteration when they divide K.
    int64_t tk = 1;
    for (int64_t t = tileK; t > 1; t /= 2)
      if (!ShapedType::isDynamic(k) && k % t == 0) {
        tk = t;
        break;
      }
    auto tileK = [&](Operation *root) {
      root->walk([&](linalg::LinalgOp op) {
        if (isa<linalg::MatmulOp, linalg::MatmulTransposeAOp>(op)) {
          (void)tile(rw, op, {0, 0, tk}, LoopType::ForOp);
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
    };
    auto rows = dyn_cast<scf::ForOp>(inner->loops.front().getOperation());
    scf::ForOp partial;
    if (!rows || failed(scf::peelForLoopAndSimplifyBounds(rw, rows, partial))) {
      // Static rows, all in full tiles.
      if (rows && pack)
        packPanel(rw, rows);
      if (rows && columns)
        packStrips(rw, rows, columns);
      tileK(inner->tiledAndFusedOps.front()->getParentOp());
      return;
    }
    // Full tiles of tile-m rows, then the rows left (fewer than tile-m:
    // all of them at batch 1-7) in static register tiles that vectorize
    // (a matrix-vector product at batch 1), not a scalar loop.
    if (pack)
      packPanel(rw, rows);
    tileK(rows);
    // The rows left: a tile of tile-m / 2 rows if there are that many,
    // then of tile-m / 4, then the rest one at a time (batch 7 = 4 + 2 +
    // 1 rows: B read 3 times, not 7). Those tiles only where B does not fit
    // in L1 (>= 128 KiB of f32): there every row re-reads B from L2 or
    // beyond (mlp_predict at batch 4: 21.9 -> 7.9 us), while a small B is
    // cheap to re-read and another tile variant costs compile time.
    auto lastOp = [](scf::ForOp loop) {
      linalg::LinalgOp last;
      for (Operation &op : loop.getBody()->without_terminator())
        if (auto l = dyn_cast<linalg::LinalgOp>(&op);
            l && !isa<linalg::FillOp>(&op))
          last = l;
      return last;
    };
    linalg::LinalgOp last = lastOp(partial);
    if (!last)
      return;
    bool bigRhs = !ShapedType::isDynamic(k) && !ShapedType::isDynamic(n) &&
                  k * n >= kHalfTileMinRhs;
    for (int64_t rowsLeft = tileM / 2; bigRhs && rowsLeft >= 2;
         rowsLeft /= 2) {
      auto tiles =
          tileAndFuse(rw, last, {rowsLeft, 0}, LoopType::ForOp, fuseInner);
      if (failed(tiles))
        return;
      auto loop = dyn_cast<scf::ForOp>(tiles->loops.front().getOperation());
      scf::ForOp rest;
      if (!loop ||
          failed(scf::peelForLoopAndSimplifyBounds(rw, loop, rest))) {
        last = cast<linalg::LinalgOp>(tiles->tiledAndFusedOps.front());
        continue;
      }
      tileK(loop);
      last = lastOp(rest);
      if (!last)
        return;
    }
    auto single = tileAndFuse(rw, last, {1, 0}, LoopType::ForOp, fuseInner);
    if (succeeded(single))
      tileK(single->loops.front().getOperation());
  }

  /// The full register tiles of a matmul block (`rows`) read a K x tile-n
  /// panel of the right-hand side once per tile. When that panel is a
  /// strided view (B wider than the block), its rows are B's row stride
  /// apart, and strides that are multiples of 2 KiB (layers 512, 1024 or
  /// 2048 wide) put them all in a few cache sets, L1's and L2's: the
  /// 1024³ matmul ran at half of the peak. So the caller (tileMatmul,
  /// which decides by the stride) has the panel copied into a contiguous
  /// buffer once per block, row by row, when the
  /// block has a full tile at all; the rows left (batch % tile-m, batch
  /// 1-7) still read B in place (a matrix-vector product reads each
  /// element once: a copy would double its work). Not for other strides:
  /// the copy costs more than it saves where the panel streams well
  /// (a 784 -> 128 dense layer ran 20% slower packed).
  void packPanel(IRRewriter &rw, scf::ForOp rows) {
    linalg::LinalgOp mm;
    rows.walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::MatmulTransposeAOp>(op))
        mm = op;
    });
    if (!mm)
      return;
    // The panel outside the loop (through the loop's own whole slices).
    Value b = mm.getDpsInputs()[1];
    while (auto inner = b.getDefiningOp<tensor::ExtractSliceOp>()) {
      if (!rows->isAncestor(inner))
        break;
      b = inner.getSource();
    }
    auto slice = b.getDefiningOp<tensor::ExtractSliceOp>();
    auto type = cast<RankedTensorType>(b.getType());
    if (!slice || rows->isAncestor(slice) || type.getRank() != 2 ||
        type.isDynamicDim(1) ||
        slice.getSourceType().getDimSize(1) == type.getDimSize(1))
      return;
    // A panel that fits in L1 many times over is read from there anyway.
    int64_t k = type.getDimSize(0);
    if (!ShapedType::isDynamic(k) && k * type.getDimSize(1) <= kPackMin)
      return;
    Location loc = rows.getLoc();
    rw.setInsertionPoint(rows);
    Value any = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt,
                                         rows.getLowerBound(),
                                         rows.getUpperBound());
    auto guard = rw.create<scf::IfOp>(loc, rows.getResultTypes(), any,
                                      /*withElseRegion=*/true);
    rw.setInsertionPointToStart(guard.thenBlock());
    Value empty = rw.create<tensor::EmptyOp>(
        loc, tensor::getMixedSizes(rw, loc, b), type.getElementType());
    auto copy = rw.create<linalg::CopyOp>(loc, b, empty);
    Value packed = copy->getResult(0);
    rw.replaceUsesWithIf(b, packed, [&](OpOperand &use) {
      return rows->isProperAncestor(use.getOwner());
    });
    rows->moveAfter(copy);
    rw.setInsertionPointAfter(rows);
    auto yield = rw.create<scf::YieldOp>(loc, rows.getResults());
    rw.setInsertionPointToStart(guard.elseBlock());
    rw.create<scf::YieldOp>(loc, rows.getInitArgs());
    for (auto [from, to] : llvm::zip(rows.getResults(), guard.getResults()))
      rw.replaceAllUsesExcept(from, to, yield);
    // Row by row. (A copy of tensors folds away into slices; bufferization
    // makes each row a memref.copy of a contiguous row: a small memcpy,
    // which LLVM turns into vector loads and stores.)
    (void)tile(rw, copy, {1, 0}, LoopType::ForOp);
  }

  /// matmul_transpose_a (x^T dy): each full register tile reads a K x
  /// tile-m strip of the block's A (x's columns, K = the batch), one piece
  /// of tile-m elements per row of x. Where x's rows are a multiple of
  /// 2 KiB apart, those pieces share a few cache sets and every tile
  /// reads them from L2 or beyond. So a row of blocks (its loop over
  /// column blocks: `columns`) first copies its strips, each into
  /// contiguous memory ([strips, K, tile-m], BLIS's packed A), and its
  /// full tiles read them from there. Only for rows all in full tiles.
  void packStrips(IRRewriter &rw, scf::ForOp rows, scf::ForOp columns) {
    linalg::LinalgOp mm;
    rows.walk([&](linalg::MatmulTransposeAOp op) { mm = op; });
    if (!mm || !columns->isProperAncestor(rows))
      return;
    auto strip = mm.getDpsInputs()[0].getDefiningOp<tensor::ExtractSliceOp>();
    if (!strip || strip->getParentOp() != rows)
      return;
    // The block's A, through the column loop's whole slices of it.
    Value block = strip.getSource();
    while (!columns.isDefinedOutsideOfLoop(block)) {
      auto whole = block.getDefiningOp<tensor::ExtractSliceOp>();
      if (!whole || whole.getType() != whole.getSourceType() ||
          !llvm::all_of(whole.getMixedOffsets(), [](OpFoldResult o) {
            return isConstantIntValue(o, 0);
          }))
        return;
      block = whole.getSource();
    }
    auto blockType = cast<RankedTensorType>(block.getType());
    auto stripType = strip.getType();
    std::optional<int64_t> lb = getConstantIntValue(rows.getLowerBound());
    std::optional<int64_t> ub = getConstantIntValue(rows.getUpperBound());
    std::optional<int64_t> step = getConstantIntValue(rows.getStep());
    if (blockType.getRank() != 2 || stripType.getRank() != 2 ||
        blockType.isDynamicDim(1) || stripType.isDynamicDim(1) || !lb ||
        *lb != 0 || !ub || *ub != blockType.getDimSize(1) || !step ||
        *step != stripType.getDimSize(1) || *ub % *step != 0 ||
        !strip.hasUnitStride() ||
        !isConstantIntValue(strip.getMixedOffsets()[0], 0) ||
        strip.getMixedOffsets()[1] != OpFoldResult(rows.getInductionVar()))
      return;
    int64_t tm = *step, strips = *ub / tm;
    Location loc = rows.getLoc();
    rw.setInsertionPoint(columns);
    OpFoldResult k = tensor::getMixedSize(rw, loc, block, 0);
    OpFoldResult unit = rw.getIndexAttr(1), zeroAttr = rw.getIndexAttr(0),
                 width = rw.getIndexAttr(tm);
    Value empty = rw.create<tensor::EmptyOp>(
        loc, ArrayRef<OpFoldResult>{rw.getIndexAttr(strips), k, width},
        blockType.getElementType());
    // Row by row of x (contiguous reads), each row's pieces to their
    // strips.
    Value zero = rw.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rw.create<arith::ConstantIndexOp>(loc, 1);
    auto outer = rw.create<scf::ForOp>(
        loc, zero, getValueOrCreateConstantIndexOp(rw, loc, k), one,
        ValueRange{empty});
    rw.setInsertionPointToStart(outer.getBody());
    Value row = outer.getInductionVar();
    auto inner = rw.create<scf::ForOp>(
        loc, zero, rw.create<arith::ConstantIndexOp>(loc, strips), one,
        outer.getRegionIterArgs());
    rw.setInsertionPointToStart(inner.getBody());
    Value t = inner.getInductionVar();
    Value column = rw.create<arith::MulIOp>(
        loc, t, rw.create<arith::ConstantIndexOp>(loc, tm));
    Value piece = rw.create<tensor::ExtractSliceOp>(
        loc, block, ArrayRef<OpFoldResult>{row, column},
        ArrayRef<OpFoldResult>{unit, width},
        ArrayRef<OpFoldResult>{unit, unit});
    Value put = rw.create<tensor::InsertSliceOp>(
        loc, piece, inner.getRegionIterArgs()[0],
        ArrayRef<OpFoldResult>{t, row, zeroAttr},
        ArrayRef<OpFoldResult>{unit, unit, width},
        ArrayRef<OpFoldResult>{unit, unit, unit});
    rw.create<scf::YieldOp>(loc, put);
    rw.setInsertionPointAfter(inner);
    rw.create<scf::YieldOp>(loc, inner.getResults());
    // The tiles read their strip from the packed copy.
    rw.setInsertionPoint(strip);
    Value index = rw.create<arith::DivUIOp>(
        loc, rows.getInductionVar(),
        rw.create<arith::ConstantIndexOp>(loc, tm));
    auto packed = rw.create<tensor::ExtractSliceOp>(
        loc, stripType, outer.getResult(0),
        ArrayRef<OpFoldResult>{index, zeroAttr, zeroAttr},
        ArrayRef<OpFoldResult>{unit, k, width},
        ArrayRef<OpFoldResult>{unit, unit, unit});
    rw.replaceOp(strip, packed);
  }

  /// Right-hand sides of at least this many elements (128 KiB of f32) get
  /// half-height tiles for the rows left below a full tile.
  static constexpr int64_t kHalfTileMinRhs = 32768;
  /// Panels of at most this many elements are not packed (16 KiB of f32).
  static constexpr int64_t kPackMin = 4096;
  /// A convolution's filter bytes beyond which it is read by blocks of
  /// output channels (tileWindowed): half the smallest L2 of the project's
  /// hosts (512 KiB on AMD Zen 2 and 3).
  static constexpr int64_t kFilterCacheBytes = 256 * 1024;
  /// Images per block of such a convolution.
  static constexpr int64_t kImagesPerBlock = 16;
  /// A filter gradient's register tile takes at least this many steps (a
  /// pixel of an image each) between its load and store of the partial:
  /// images go in groups of up to kMaxImageGroup where one has fewer
  /// pixels (tileFilterGradient).
  static constexpr int64_t kFilterGradSteps = 64;
  static constexpr int64_t kMaxImageGroup = 16;

  static int64_t filterBytes(linalg::Conv2DNhwcHwcfOp conv) {
    auto type = cast<RankedTensorType>(conv.getInputs()[1].getType());
    if (!type.hasStaticShape())
      return 0;
    return type.getNumElements() *
           type.getElementType().getIntOrFloatBitWidth() / 8;
  }

  /// Row strides (bytes) whose multiples alias in the caches.
  static constexpr int64_t kAliasingStride = 2048;
  /// Rows of a matmul block whose panel is packed.
  static constexpr int64_t kPackedBlockM = 256;

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
    Value work = loopWork(rw, anchor);
    // A convolution of zero padding: the input rows that are not.
    auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(anchor.getOperation());
    std::optional<std::pair<int64_t, int64_t>> rows =
        conv ? nonZeroRows(conv.getInputs()[0]) : std::nullopt;
    int64_t rowStride = conv ? conv.getStrides().getValues<int64_t>()[0] : 1;
    // A row of up to 1.25 tileM columns is one tile: as a full tile and
    // the rest (deep_cnn.nn's 5 columns as 4 + 1 with AVX2's tile-m of 4),
    // the rest's one-column tile ran its FMAs back to back on the same
    // few registers, bound by their latency.
    int64_t ow = out.getDimSize(2);
    int64_t tw = !ShapedType::isDynamic(ow) && ow <= tileM + tileM / 4
                     ? ow
                     : pickDivisor(ow, tileM);
    int64_t tc = pickTile(out.getDimSize(3), tileN);
    // A filter larger than the caches keep (kFilterCacheBytes) is read
    // block by block of tc output channels: forall over (kImagesPerBlock
    // images, channel block), each looping over its images and rows with
    // its block's slice of the filter in L2. Output row by output row, a
    // pass over the whole filter per row (deep_cnn.nn's third layer: 1.2
    // MB per row of 3 x 3 outputs) came from L3.
    bool blocked = conv && filterBytes(conv) > kFilterCacheBytes;
    auto outer =
        blocked ? tileAndFuse(rw, consumer, {kImagesPerBlock, 0, 0, tc},
                              LoopType::ForallOp, fuseOuter)
                : tileAndFuse(rw, consumer, {1, 1, 0, 0}, LoopType::ForallOp,
                              fuseOuter);
    if (failed(outer))
      return;
    hintWork(rw, outer->loops.front(), work);
    Operation *tiled = outer->tiledAndFusedOps.front();
    Value h; // the output row, for the rows of taps skipped below
    if (blocked) {
      auto rowLoops =
          tileAndFuse(rw, tiled, {1, 1, 0, 0}, LoopType::ForOp, fuse);
      if (failed(rowLoops))
        return;
      tiled = rowLoops->tiledAndFusedOps.front();
      h = cast<scf::ForOp>(rowLoops->loops[1].getOperation())
              .getInductionVar();
    } else {
      h = cast<scf::ForallOp>(outer->loops.front().getOperation())
              .getInductionVar(1);
    }
    auto inner =
        tileAndFuse(rw, tiled, {0, 0, tw, tc}, LoopType::ForOp, fuse);
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
      // A convolution's input channels (its 7th loop), when there are more
      // than 32, in steps of the largest power of two up to 16 that divides
      // them: a tap over 64 channels unrolled whole is 64 steps of FMAs on
      // the register tile, and the backward's convolutions over many
      // channels made most of a CNN's code (examples/cnn.nn: IR 2.25 ->
      // 1.97 MB, compile 2.75 -> 2.4 s, training speed unchanged). Fewer
      // channels stay whole: 16 in two steps of 8 ran 30% slower, 32 in
      // two of 16 14% slower (test/bench/kernels.cpp's convolutions).
      int64_t c = windowed.getNumLoops() == 7
                      ? windowed.getStaticLoopRanges()[6]
                      : ShapedType::kDynamic;
      if (!ShapedType::isDynamic(c) && c > 32)
        for (int64_t t = 16; t > 1; t /= 2)
          if (c % t == 0) {
            sizes[6] = t;
            break;
          }
      auto taps = tile(rw, op, sizes, LoopType::ForOp);
      // Rows of taps that read only padding (zeros) are skipped: output
      // row h reads input rows h * stride + kh.
      if (succeeded(taps) && rows) {
        auto kh = cast<scf::ForOp>(taps->loops.front().getOperation());
        Location loc = kh.getLoc();
        rw.setInsertionPoint(kh);
        auto c = [&](int64_t v) -> Value {
          return rw.create<arith::ConstantIndexOp>(loc, v);
        };
        Value top = rw.create<arith::MulIOp>(loc, h, c(rowStride));
        Value first = rw.create<arith::MaxSIOp>(
            loc, c(0), rw.create<arith::SubIOp>(loc, c(rows->first), top));
        Value last = rw.create<arith::MinSIOp>(
            loc, c(windowed.getStaticLoopRanges()[4]),
            rw.create<arith::SubIOp>(loc, c(rows->second), top));
        last = rw.create<arith::MaxSIOp>(loc, first, last);
        rw.modifyOpInPlace(kh, [&] {
          kh.getLowerBoundMutable().assign(first);
          kh.getUpperBoundMutable().assign(last);
        });
      }
      break;
    }
  }

  /// The rows [begin, end) of an NHWC tensor that may be non-zero, when it
  /// is padding (tensor.pad with zeros) or a gradient inserted into zeros
  /// (a dilated dy): outside them every element is zero.
  static std::optional<std::pair<int64_t, int64_t>> nonZeroRows(Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    if (auto pad = v.getDefiningOp<tensor::PadOp>()) {
      auto value = pad.getConstantPaddingValue();
      auto low = getConstantIntValue(pad.getMixedLowPad()[1]);
      auto high = getConstantIntValue(pad.getMixedHighPad()[1]);
      if (!value || !matchPattern(value, m_AnyZeroFloat()) || !low || !high)
        return std::nullopt;
      return std::make_pair(*low, type.getDimSize(1) - *high);
    }
    if (auto insert = v.getDefiningOp<tensor::InsertSliceOp>()) {
      auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
      auto offset = getConstantIntValue(insert.getMixedOffsets()[1]);
      auto size = getConstantIntValue(insert.getMixedSizes()[1]);
      auto stride = getConstantIntValue(insert.getMixedStrides()[1]);
      if (!fill || !matchPattern(fill.value(), m_AnyZeroFloat()) || !offset ||
          !size || !stride)
        return std::nullopt;
      return std::make_pair(*offset, *offset + (*size - 1) * *stride + 1);
    }
    return std::nullopt;
  }

  /// A convolution's filter gradient as nnc-lower-to-linalg builds it: a
  /// linalg.generic over (kh, kw, c, f | n, oh, ow) computing out[kh, kw,
  /// c, f] += x[n, oh * sh + kh, ow * sw + kw, c] * dy[n, oh, ow, f] with
  /// static sizes but n. Returns the strides (sh, sw).
  static std::optional<std::pair<int64_t, int64_t>>
  filterGradientStrides(linalg::LinalgOp op) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic || op.getNumLoops() != 7 || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 3)
      return std::nullopt;
    SmallVector<utils::IteratorType> it = op.getIteratorTypesArray();
    for (int i = 0; i < 7; ++i)
      if ((it[i] == utils::IteratorType::reduction) != (i >= 4))
        return std::nullopt;
    MLIRContext *ctx = op->getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (maps[1] != AffineMap::get(7, 0, {d(4), d(5), d(6), d(3)}, ctx) ||
        maps[2] != AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx) ||
        maps[0].getNumResults() != 4 || maps[0].getResult(0) != d(4) ||
        maps[0].getResult(3) != d(2))
      return std::nullopt;
    auto stride = [&](AffineExpr e, unsigned outer,
                      unsigned tap) -> int64_t {
      for (int64_t s = 1; s <= 16; ++s)
        if (e == d(outer) * s + d(tap))
          return s;
      return 0;
    };
    int64_t sh = stride(maps[0].getResult(1), 5, 0),
            sw = stride(maps[0].getResult(2), 6, 1);
    // The body: out + x * dy.
    Block &body = generic.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
    arith::MulFOp mul;
    if (add && add.getLhs() == body.getArgument(2))
      mul = add.getRhs().getDefiningOp<arith::MulFOp>();
    if (!sh || !sw || body.getOperations().size() != 3 || !mul ||
        mul.getLhs() != body.getArgument(0) ||
        mul.getRhs() != body.getArgument(1))
      return std::nullopt;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    for (int i = 0; i < 7; ++i)
      if (ShapedType::isDynamic(ranges[i]) != (i == 4))
        return std::nullopt;
    return std::make_pair(sh, sw);
  }

  /// `body(b, offset, size, acc)` over [0, n) in tiles of `tile`: a loop
  /// over the whole tiles, then the tile left (static sizes both).
  using TileBody = llvm::function_ref<Value(OpBuilder &, Value, int64_t,
                                            Value)>;
  static Value overTiles(OpBuilder &b, Location loc, int64_t n, int64_t tile,
                         Value acc, TileBody body) {
    int64_t whole = n / tile * tile;
    if (whole > 0)
      acc = b.create<scf::ForOp>(
                 loc, b.create<arith::ConstantIndexOp>(loc, 0),
                 b.create<arith::ConstantIndexOp>(loc, whole),
                 b.create<arith::ConstantIndexOp>(loc, tile), ValueRange{acc},
                 [&](OpBuilder &nb, Location l, Value iv, ValueRange args) {
                   nb.create<scf::YieldOp>(l, body(nb, iv, tile, args[0]));
                 })
                .getResult(0);
    if (whole < n)
      acc = body(b, b.create<arith::ConstantIndexOp>(loc, whole), n - whole,
                 acc);
    return acc;
  }

  /// A filter gradient's dy that tileFilterGradient computes image by
  /// image inside its loop instead of reading it from memory: the result
  /// of a batch-separable elementwise op (not a matmul's or convolution's
  /// epilogue) that only the filter gradient and a bias gradient read. In
  /// cnn.nn, the first convolution's dy (the pooling gradient's routing
  /// and the activation's mask: 26 x 26 x 32 floats an image) was written
  /// to memory and read back twice.
  struct ImageDy {
    Value root;                       // the producer's result
    tensor::CollapseShapeOp collapse; // dy = collapse(root), or null
    linalg::GenericOp bias;           // dy summed over (n, h, w), or null
  };
  static std::optional<ImageDy> imageDy(Value dy, Operation *filterGrad) {
    ImageDy r;
    r.root = dy;
    if (auto collapse = dy.getDefiningOp<tensor::CollapseShapeOp>()) {
      SmallVector<ReassociationIndices> groups =
          collapse.getReassociationIndices();
      if (groups.empty() || groups[0].size() != 1 ||
          !collapse.getSrc().hasOneUse())
        return std::nullopt;
      r.collapse = collapse;
      r.root = collapse.getSrc();
    }
    auto producer = r.root.getDefiningOp<linalg::GenericOp>();
    if (!producer || producer->getNumResults() != 1 ||
        !producer.hasPureTensorSemantics() ||
        producer.getNumParallelLoops() != producer.getNumLoops() ||
        !producer.getIndexingMapsArray().back().isIdentity() ||
        fusableAnchor(producer))
      return std::nullopt;
    for (Operation *user : dy.getUsers()) {
      if (user == filterGrad)
        continue;
      if (isa<tensor::DimOp>(user))
        continue; // its size: replaced by the caller
      if (r.bias || !isBiasGradient(user, dy))
        return std::nullopt;
      r.bias = cast<linalg::GenericOp>(user);
    }
    // The bias gradient is computed where the filter gradient is: what
    // reads it must come later (a distributed build's all-reduce of it,
    // started as soon as it is computed, does not).
    if (r.bias && !llvm::all_of(r.bias->getUsers(), [&](Operation *u) {
          return u->getBlock() == filterGrad->getBlock() &&
                 filterGrad->isBeforeInBlock(u);
        }))
      return std::nullopt;
    return r;
  }

  /// `op` sums `dy` ([N, H, W, F]) over N, H and W from zeros: a
  /// convolution's bias gradient.
  static bool isBiasGradient(Operation *op, Value dy) {
    auto generic = dyn_cast<linalg::GenericOp>(op);
    auto type = cast<RankedTensorType>(dy.getType());
    if (!generic || type.getRank() != 4 || generic.getNumDpsInputs() != 1 ||
        generic.getDpsInputs()[0] != dy || generic.getNumDpsInits() != 1)
      return false;
    auto fill = generic.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    if (!fill || !matchPattern(fill.value(), m_AnyZeroFloat()))
      return false;
    MLIRContext *ctx = op->getContext();
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    if (!maps[0].isIdentity() ||
        maps[1] != AffineMap::get(4, 0, getAffineDimExpr(3, ctx)))
      return false;
    SmallVector<utils::IteratorType> it = generic.getIteratorTypesArray();
    for (int i = 0; i < 4; ++i)
      if ((it[i] == utils::IteratorType::parallel) != (i == 3))
        return false;
    Block &body = generic.getRegion().front();
    auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
    return body.getOperations().size() == 2 && add &&
           ((add.getLhs() == body.getArgument(0) &&
             add.getRhs() == body.getArgument(1)) ||
            (add.getLhs() == body.getArgument(1) &&
             add.getRhs() == body.getArgument(0)));
  }

  /// The image `img` of `root` (an ImageDy's), computed where `b` stands:
  /// its producer tiled to the image, then, recursively, the producers of
  /// the tile's operands that nothing but the ops replaced reads (the
  /// pooling gradient's winners, their fill). The ops replaced are added
  /// to `replaced`, for the caller to erase. When the producer cannot be
  /// tiled, the image is a slice of `root` (read from memory, as before).
  static Value fuseImage(OpBuilder &b, Location loc, Value root, Value img,
                         SmallVectorImpl<Operation *> &replaced) {
    auto type = cast<RankedTensorType>(root.getType());
    int64_t rank = type.getRank();
    SmallVector<int64_t> sizes(type.getShape());
    sizes[0] = 1;
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    offsets[0] = img;
    auto slice = b.create<tensor::ExtractSliceOp>(
        loc, root, offsets, indexAttrs(b, sizes),
        indexAttrs(b, SmallVector<int64_t>(rank, 1)));
    Value image = slice;
    SmallVector<tensor::ExtractSliceOp> work = {slice};
    // The first slice taken is the image's (not `s == slice`: once erased,
    // its address may be a later slice's, whose tile would become the
    // image: a nondeterministic miscompile of cnn.nn in f64).
    for (bool first = true; !work.empty(); first = false) {
      tensor::ExtractSliceOp s = work.pop_back_val();
      auto producer = cast<OpResult>(s.getSource());
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(s);
      FailureOr<TilingResult> tiled =
          tensor::replaceExtractSliceWithTiledProducer(b, s, producer);
      if (failed(tiled) || tiled->tiledValues.size() != 1)
        continue;
      if (first)
        image = tiled->tiledValues[0];
      s.replaceAllUsesWith(tiled->tiledValues[0]);
      s.erase();
      if (!llvm::is_contained(replaced, producer.getOwner()))
        replaced.push_back(producer.getOwner());
      for (Operation *t : tiled->tiledOps)
        for (Value operand : t->getOperands()) {
          auto in = operand.getDefiningOp<tensor::ExtractSliceOp>();
          auto from = in ? dyn_cast<OpResult>(in.getSource()) : OpResult();
          auto linalgOp =
              from ? dyn_cast<linalg::LinalgOp>(from.getOwner()) : nullptr;
          if (!linalgOp || !linalgOp.hasPureTensorSemantics() ||
              linalgOp->getNumResults() != 1 || isAnchor(linalgOp) ||
              llvm::is_contained(replaced, linalgOp.getOperation()))
            continue;
          if (llvm::all_of(from.getUsers(), [&](Operation *u) {
                return u == in.getOperation() || isa<tensor::DimOp>(u) ||
                       llvm::is_contained(replaced, u);
              }))
            work.push_back(in);
        }
    }
    return image;
  }

  /// The filter gradient (filterGradientStrides), without materializing
  /// the windows: the batch in kBatchParts parts (an
  /// scf.forall), each accumulating a partial gradient of its own over its
  /// images, which are then added up. The gradient is seen as
  /// [KH, KW * C, F] and x as [N, H, W * C]: for a pixel (oh, ow) and a
  /// row of taps kh, the rows (kw, c) of the gradient meet the
  /// contiguous KW * C elements of x from (oh * sh + kh, ow * sw). In a
  /// part, group of images by group (one image where it has 64 pixels
  /// or more) and tap row by tap row, tile-m x tile-n register tiles of
  /// those rows and of the filters accumulate over the group's pixels:
  /// each pixel an outer product of tile-m elements of x and tile-n of dy
  /// (a 1-step linalg.matmul_transpose_a), from the group's x and dy (L1
  /// and L2) and the partial (L2). A first layer's
  /// single channel gets rows of KW taps instead of rows of one. The
  /// windows matrix this replaces ([N*OH*OW, KH*KW*C], 9x the input)
  /// streamed from memory for every column block of the gradient. When
  /// dy's producer allows (imageDy), the loop computes each image's dy
  /// itself and adds it into a bias gradient's partial of the part: dy is
  /// never stored whole.
  void tileFilterGradient(IRRewriter &rw, linalg::LinalgOp op, int64_t sh,
                          int64_t sw, llvm::DenseSet<Operation *> &handled) {
    Location loc = op.getLoc();
    Value x = op.getDpsInputs()[0], dy = op.getDpsInputs()[1];
    auto out = cast<RankedTensorType>(op->getResult(0).getType());
    auto dyType = cast<RankedTensorType>(dy.getType());
    Type el = out.getElementType();
    ArrayRef<int64_t> shape = out.getShape(); // KH, KW, C, F
    int64_t oh = dyType.getDimSize(1), ow = dyType.getDimSize(2);
    int64_t rows = shape[1] * shape[2], filters = shape[3];
    int64_t tm = std::min<int64_t>(tileM, rows);
    int64_t tn = columnTile(filters, tileN, vectorLanes(op));
    Value work = loopWork(rw, op);
    rw.setInsertionPoint(op);
    auto c = [&](OpBuilder &b, int64_t v) -> Value {
      return b.create<arith::ConstantIndexOp>(loc, v);
    };
    auto attrs = [&](ArrayRef<int64_t> v) { return indexAttrs(rw, v); };
    SmallVector<ReassociationIndices> pixelRows = {{0}, {1}, {2, 3}};
    Value xRows = rw.create<tensor::CollapseShapeOp>(loc, x, pixelRows);
    auto flatType = RankedTensorType::get({shape[0], rows, filters}, el);
    int64_t parts = kBatchParts;
    SmallVector<int64_t> partsShape = {parts, shape[0], rows, filters};
    Value zero = rw.create<arith::ConstantOp>(loc, rw.getFloatAttr(el, 0));
    Value init =
        rw.create<linalg::FillOp>(
              loc, zero,
              rw.create<tensor::EmptyOp>(loc, partsShape, el).getResult())
            .getResult(0);
    Value n = rw.create<tensor::DimOp>(loc, x, 0);
    // dy computed image by image in the loop (and the bias gradient
    // summed there), when its producer allows.
    std::optional<ImageDy> fused = imageDy(dy, op);
    auto biasType = RankedTensorType::get({filters}, el);
    SmallVector<Value> inits = {init};
    if (fused && fused->bias)
      inits.push_back(
          rw.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{parts, filters}, el));
    auto [forall, first, last] = overBatchParts(rw, loc, n, inits, work);
    Value end = last; // for the image loop's body (a lambda)
    Value part = forall.getInductionVar(0);
    SmallVector<OpFoldResult> biasAt = {part, rw.getIndexAttr(0)};
    SmallVector<OpFoldResult> biasSizes = attrs({1, filters});
    SmallVector<Value> accs = {Value()};
    if (fused && fused->bias) {
      // Filled in place: a fill of a fresh tensor here would be merged
      // with other such fills and bufferized as a copy per part.
      Value row = rw.create<tensor::ExtractSliceOp>(
          loc, biasType, forall.getRegionIterArgs()[1], biasAt, biasSizes,
          attrs({1, 1}));
      accs.push_back(rw.create<linalg::FillOp>(loc, zero, row).getResult(0));
    }
    SmallVector<int64_t> partSizes = {1, shape[0], rows, filters};
    SmallVector<OpFoldResult> partOffsets = {part};
    partOffsets.append(attrs({0, 0, 0}));
    accs[0] = rw.create<tensor::ExtractSliceOp>(
        loc, flatType, forall.getRegionIterArgs()[0], partOffsets,
        attrs(partSizes), attrs({1, 1, 1, 1}));
    auto tileType = [&](int64_t r, int64_t cols) {
      return RankedTensorType::get({r, cols}, el);
    };
    // Images a group: a register tile loads and stores its rows of the
    // partial once a group, between which it takes a step per pixel of
    // each image; a small output (deep_cnn's conv3: 3 x 3 pixels) alone
    // would give it 9 steps for a load and a store of its partial (1.2 MB
    // a part, from L3). The group's dy, when computed here, in a buffer.
    int64_t group = std::clamp<int64_t>(
        (kFilterGradSteps + oh * ow - 1) / (oh * ow), 1, kMaxImageGroup);
    bool buffered = fused && group > 1;
    int64_t biasArg = fused && fused->bias ? 1 : -1;
    if (buffered)
      accs.push_back(rw.create<tensor::EmptyOp>(
          loc,
          ArrayRef<int64_t>{group, oh, ow, filters},
          el));
    SmallVector<Operation *> replaced;
    auto images = rw.create<scf::ForOp>(
        loc, first, last, c(rw, group), accs,
        [&](OpBuilder &b, Location, Value g0, ValueRange args) {
      // The group's images [g0, g0 + count), whose dy are dyImages's
      // from dyBase on: dy's own, or computed here.
      Value count = group == 1 ? c(b, 1)
                               : b.create<arith::MinUIOp>(
                                     loc, c(b, group),
                                     b.create<arith::SubIOp>(loc, end, g0))
                                     .getResult();
      auto imageDy = [&](OpBuilder &b, Value img) {
        Value v = fuseImage(b, loc, fused->root, img, replaced);
        if (fused->collapse)
          v = b.create<tensor::CollapseShapeOp>(
              loc, v, fused->collapse.getReassociationIndices());
        return v;
      };
      // The bias gradient: each image's dy added where it is computed.
      MLIRContext *ctx = b.getContext();
      SmallVector<AffineMap> biasMaps = {
          AffineMap::getMultiDimIdentityMap(4, ctx),
          AffineMap::get(4, 0, getAffineDimExpr(3, ctx))};
      SmallVector<utils::IteratorType> biasLoops(
          3, utils::IteratorType::reduction);
      biasLoops.push_back(utils::IteratorType::parallel);
      auto addImage = [&](OpBuilder &b, Value image, Value sum) {
        return b
            .create<linalg::GenericOp>(
                loc, TypeRange{biasType}, ValueRange{image}, ValueRange{sum},
                biasMaps, biasLoops,
                [](OpBuilder &nb, Location l, ValueRange a) {
                  nb.create<linalg::YieldOp>(
                      l, nb.create<arith::AddFOp>(l, a[1], a[0]).getResult());
                })
            .getResult(0);
      };
      Value biasSum = biasArg > 0 ? args[biasArg] : Value();
      Value dyImages = dy, dyBase = g0;
      if (fused && !buffered) {
        dyImages = imageDy(b, g0);
        dyBase = c(b, 0);
        if (biasSum)
          biasSum = addImage(b, dyImages, biasSum);
      } else if (buffered) {
        SmallVector<Value> inits = {args.back()};
        if (biasSum)
          inits.push_back(biasSum);
        SmallVector<Value> filled = loops(
            b, loc, c(b, 0), count, inits,
            [&](OpBuilder &b, Value j, ValueRange acc) {
          Value image = imageDy(b, b.create<arith::AddIOp>(loc, g0, j));
          SmallVector<OpFoldResult> at = {j};
          at.append(attrs({0, 0, 0}));
          SmallVector<Value> next = {
              b.create<tensor::InsertSliceOp>(loc, image, acc[0], at,
                                              attrs({1, oh, ow, filters}),
                                              attrs({1, 1, 1, 1}))};
          if (acc.size() > 1)
            next.push_back(addImage(b, image, acc[1]));
          return next;
        });
        dyImages = filled[0];
        dyBase = c(b, 0);
        if (biasSum)
          biasSum = filled[1];
      }
      // Steps over image j of the group's pixels into a register tile.
      auto pixels = [&](OpBuilder &b, Value j, Value kh, Value r0, int64_t m,
                        Value f0, int64_t cols, Value regs) {
        Value img = b.create<arith::AddIOp>(loc, g0, j);
        Value dyAt0 = b.create<arith::AddIOp>(loc, dyBase, j);
        return loop(b, loc, c(b, 0), c(b, oh), regs,
                    [&](OpBuilder &b, Value y, Value regs) {
          Value row = b.create<arith::AddIOp>(
              loc, b.create<arith::MulIOp>(loc, y, c(b, sh)), kh);
          return loop(b, loc, c(b, 0), c(b, ow), regs,
                      [&](OpBuilder &b, Value xo, Value regs) {
            Value col = b.create<arith::AddIOp>(
                loc, b.create<arith::MulIOp>(loc, xo, c(b, sw * shape[2])), r0);
            SmallVector<OpFoldResult> xAt = {img, row, col};
            SmallVector<OpFoldResult> dyAt = {dyAt0, y, xo, f0};
            Value lhs = b.create<tensor::ExtractSliceOp>(
                loc, tileType(1, m), xRows, xAt, attrs({1, 1, m}),
                attrs({1, 1, 1}));
            Value rhs = b.create<tensor::ExtractSliceOp>(
                loc, tileType(1, cols), dyImages, dyAt, attrs({1, 1, 1, cols}),
                attrs({1, 1, 1, 1}));
            return b
                .create<linalg::MatmulTransposeAOp>(
                    loc, ValueRange{lhs, rhs}, ValueRange{regs})
                .getResult(0);
          });
        });
      };
      SmallVector<Value> yields;
      yields.push_back(loop(b, loc, c(b, 0), c(b, shape[0]), args[0],
                  [&](OpBuilder &b, Value kh, Value acc) {
      return overTiles(b, loc, rows, tm, acc,
                       [&](OpBuilder &b, Value r0, int64_t m, Value acc) {
      return overTiles(b, loc, filters, tn, acc,
                       [&](OpBuilder &b, Value f0, int64_t cols, Value acc) {
        SmallVector<OpFoldResult> at = {kh, r0, f0};
        Value regs = b.create<tensor::ExtractSliceOp>(
            loc, tileType(m, cols), acc, at, attrs({1, m, cols}),
            attrs({1, 1, 1}));
        Value done =
            group == 1
                ? pixels(b, c(b, 0), kh, r0, m, f0, cols, regs)
                : loop(b, loc, c(b, 0), count, regs,
                       [&](OpBuilder &b, Value j, Value regs) {
                         return pixels(b, j, kh, r0, m, f0, cols, regs);
                       });
        return b.create<tensor::InsertSliceOp>(loc, done, acc, at,
                                               attrs({1, m, cols}),
                                               attrs({1, 1, 1}))
            .getResult();
      });
      });
      }));
      if (biasSum)
        yields.push_back(biasSum);
      if (buffered)
        yields.push_back(dyImages);
      b.create<scf::YieldOp>(loc, yields);
    });
    rw.setInsertionPointToStart(forall.getTerminator().getBody());
    rw.create<tensor::ParallelInsertSliceOp>(
        loc, images.getResult(0), forall.getRegionIterArgs()[0], partOffsets,
        attrs(partSizes), attrs({1, 1, 1, 1}));
    if (biasArg > 0)
      rw.create<tensor::ParallelInsertSliceOp>(
          loc, images.getResult(biasArg), forall.getRegionIterArgs()[1],
          biasAt, biasSizes, attrs({1, 1}));
    // The parts added up.
    rw.setInsertionPointAfter(forall);
    Value total = addParts(rw, loc, forall.getResult(0), flatType);
    SmallVector<ReassociationIndices> taps = {{0}, {1, 2}, {3}};
    rw.replaceOp(op, rw.create<tensor::ExpandShapeOp>(loc, out, total, taps)
                         .getResult());
    if (!fused)
      return;
    if (fused->bias) {
      // The bias gradient: its parts added up.
      rw.setInsertionPointAfter(forall);
      Value bias = addParts(rw, loc, forall.getResult(1), biasType);
      handled.insert(fused->bias);
      rw.replaceOp(fused->bias, bias);
    }
    // The ops that the loop now computes image by image, users first;
    // their sizes read from x (the batch) or constants.
    if (fused->collapse)
      replaced.insert(replaced.begin(), fused->collapse);
    for (Operation *dead : replaced) {
      for (Operation *user : llvm::make_early_inc_range(dead->getUsers()))
        if (auto dim = dyn_cast<tensor::DimOp>(user)) {
          std::optional<int64_t> i = dim.getConstantIndex();
          auto type = cast<RankedTensorType>(dim.getSource().getType());
          rw.setInsertionPoint(dim);
          if (i == 0)
            rw.replaceOpWithNewOp<tensor::DimOp>(dim, x, 0);
          else if (i && !type.isDynamicDim(*i))
            rw.replaceOpWithNewOp<arith::ConstantIndexOp>(
                dim, type.getDimSize(*i));
        }
      if (dead->use_empty()) {
        handled.insert(dead);
        rw.eraseOp(dead);
      }
    }
  }

  /// Any other op: one sample at a time along a dynamic (batch) dim 0,
  /// threads if it is parallel; static ops are left whole. Producers that
  /// also go sample by sample and that only this op reads (softmax's sum
  /// before its division, elementwise chains) are fused into the same
  /// loop: one parallel region and one pass per sample instead of one per
  /// op.
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
    auto fusable = [&](Operation *p) {
      auto producer = dyn_cast_or_null<linalg::LinalgOp>(p);
      // A reduction over the batch (a bias gradient, a loss's mean) is a
      // serial loop: producers fused into it would run on one thread (and
      // twice, when other ops read them too: the pooling and activation
      // gradients that a convolution's bias gradient reads). It reads
      // them from their own parallel loops instead.
      if (!parallel)
        return false;
      if (!producer || isAnchor(p) || producer.getNumLoops() == 0 ||
          !producer.hasPureTensorSemantics() ||
          producer.getIteratorTypesArray()[0] !=
              utils::IteratorType::parallel)
        return false;
      // Nor the epilogue of a matmul or convolution (bias, activation):
      // recomputed here it would give the anchor a second reader, and the
      // anchor would no longer take its epilogue into its register tiles
      // (training's backward reads the activations: its forward stored
      // the matmul's result and ran the epilogue as a pass of its own).
      if (fusableAnchor(producer))
        return false;
      // Row-separable: the producer's dim 0 is its result's dim 0.
      AffineMap out = producer.getIndexingMapMatchingResult(
          cast<OpResult>(producer->getResult(0)));
      return out.getNumResults() > 0 &&
             out.getResult(0) == rw.getAffineDimExpr(0);
    };
    // The group fused into this loop: producers whose every reader is in
    // the group (softmax's max, read by its sum and its division). A
    // producer that ops outside the group read too is not fused: it would
    // be computed again in every reader's loop, and once more on its own.
    // (The transformer's layernorms, residuals and biases were recomputed
    // in each of the backward's readers of them; reading their stored
    // results made its training step 1.6x faster.)
    llvm::SetVector<Operation *> group;
    group.insert(op);
    for (bool grew = true; grew;) {
      grew = false;
      for (size_t i = 0; i < group.size(); ++i)
        for (Value v : group[i]->getOperands()) {
          Operation *p = v.getDefiningOp();
          if (!p || group.contains(p) || !fusable(p))
            continue;
          if (llvm::all_of(p->getUsers(), [&](Operation *user) {
                return group.contains(user);
              }))
            grew |= group.insert(p);
        }
    }
    auto fuse = [&](Operation *p) {
      return isa<linalg::FillOp>(p) || group.contains(p);
    };
    Value work = loopWork(rw, op, kElementWork);
    if (!parallel)
      op = splitBatchReduction(rw, op, work);
    auto result = tileAndFuse(rw, op, sizes,
                              parallel ? LoopType::ForallOp : LoopType::ForOp,
                              fuse, /*fuseDestinations=*/parallel);
    if (succeeded(result) && parallel)
      hintWork(rw, result->loops.front(), work);
    // Fused producers are done; a fill that other ops still use as their
    // destination is left to be tiled with them, not run whole and serial.
    if (succeeded(result))
      for (Operation *p : result->fusedProducers)
        if (p->use_empty())
          done.insert(p);
  }

  /// A sum over the batch (dim 0, dynamic, reduced by an addition: a bias
  /// gradient, a loss's mean, batchnorm's statistics) as kBatchParts
  /// partial sums computed by the iterations of an scf.forall, each over
  /// its own range of samples, then added to the op's init (a static
  /// elementwise op): both threads work on it instead of one. Returns the
  /// op of a part (its dim 0 that part's samples), left to be tiled sample
  /// by sample; `op` itself when it is not such a sum (its combiner is not
  /// an addition, its result's shape not static), to be tiled as it is.
  linalg::LinalgOp splitBatchReduction(IRRewriter &rw, linalg::LinalgOp op,
                                       Value work) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic || op.getNumDpsInits() != 1 || op->getNumResults() != 1)
      return op;
    auto out = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!out || !out.hasStaticShape() || !isa<FloatType>(out.getElementType()))
      return op;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ArrayRef<int64_t>(ranges).drop_front(),
                     ShapedType::isDynamic))
      return op;
    SmallVector<Operation *> combiners;
    if (!matchReduction(generic.getRegionOutputArgs(), 0, combiners) ||
        combiners.size() != 1 || !isa<arith::AddFOp>(combiners[0]))
      return op;

    Location loc = op.getLoc();
    Type el = out.getElementType();
    int64_t parts = kBatchParts;
    rw.setInsertionPoint(op);
    SmallVector<int64_t> partsShape = {parts};
    llvm::append_range(partsShape, out.getShape());
    Value n = getValueOrCreateConstantIndexOp(
        rw, loc, op.createLoopRanges(rw, loc)[0].size);
    auto [forall, first, last] = overBatchParts(
        rw, loc, n,
        rw.create<tensor::EmptyOp>(loc, partsShape, el).getResult(), work);
    Value part = forall.getInductionVar(0);
    SmallVector<OpFoldResult> offsets(ranges.size(), rw.getIndexAttr(0));
    offsets[0] = first;
    SmallVector<OpFoldResult> sizes = indexAttrs(rw, ranges);
    sizes[0] = rw.create<arith::SubIOp>(loc, last, first).getResult();
    FailureOr<TilingResult> tiled =
        cast<TilingInterface>(op.getOperation())
            .getTiledImplementation(rw, offsets, sizes);
    if (failed(tiled) || tiled->tiledOps.size() != 1) {
      rw.eraseOp(forall);
      return op;
    }
    auto mine = cast<linalg::LinalgOp>(tiled->tiledOps[0]);
    // The part's sum starts from zero, in its own row of the forall's
    // result (written in place: a zero fill of a tensor.empty here would be
    // merged with any such fill before the loop, and bufferized as a copy
    // per part); the op's init is added once, below.
    int64_t rank = out.getRank();
    SmallVector<OpFoldResult> partAt = {part};
    SmallVector<int64_t> zeros(rank, 0), ones(rank + 1, 1);
    partAt.append(indexAttrs(rw, zeros));
    SmallVector<int64_t> partSizes = {1};
    llvm::append_range(partSizes, out.getShape());
    Value row = rw.create<tensor::ExtractSliceOp>(
        loc, out, forall.getRegionIterArgs()[0], partAt,
        indexAttrs(rw, partSizes), indexAttrs(rw, ones));
    Value zero = rw.create<arith::ConstantOp>(loc, rw.getFloatAttr(el, 0));
    Value init = rw.create<linalg::FillOp>(loc, zero, row).getResult(0);
    rw.modifyOpInPlace(mine, [&] { mine.getDpsInitsMutable()[0].set(init); });
    mine->moveAfter(init.getDefiningOp());
    rw.setInsertionPointToStart(forall.getTerminator().getBody());
    rw.create<tensor::ParallelInsertSliceOp>(
        loc, mine->getResult(0), forall.getRegionIterArgs()[0], partAt,
        indexAttrs(rw, partSizes), indexAttrs(rw, ones));
    // init + the parts, in the parts' order (the init left out when it is
    // a zero fill).
    rw.setInsertionPointAfter(forall);
    Value opInit = op.getDpsInits()[0];
    auto fill = opInit.getDefiningOp<linalg::FillOp>();
    if (fill && matchPattern(fill.value(), m_AnyZeroFloat()))
      opInit = Value();
    rw.replaceOp(op, addParts(rw, loc, forall.getResult(0), out, opInit));
    return mine;
  }

  /// Batched matmuls (attention's q kᵀ and p v, per sample after
  /// tileByBatch): register tiles of tile-m x tile-n over a K loop of
  /// tile-k steps, one batch index at a time, instead of one vector
  /// contraction over the whole [m, n, k] (28 x 28 x 64: 50k lanes that
  /// LLVM then takes seconds to legalize).
  void tileBatchMatmuls(IRRewriter &rw, func::FuncOp func) {
    SmallVector<linalg::BatchMatmulOp> ops;
    func.walk([&](linalg::BatchMatmulOp op) {
      if (op.hasPureTensorSemantics())
        ops.push_back(op);
    });
    for (linalg::BatchMatmulOp op : ops) {
      SmallVector<int64_t> r = op.getStaticLoopRanges(); // b, m, n, k
      if (llvm::any_of(ArrayRef<int64_t>(r).drop_front(),
                       [](int64_t d) { return ShapedType::isDynamic(d); }))
        continue;
      int64_t tk = 1;
      for (int64_t t = tileK; t > 1; t /= 2)
        if (r[3] % t == 0) {
          tk = t;
          break;
        }
      int64_t tn = columnTile(r[2], tileN, vectorLanes(op));
      SmallVector<int64_t> sizes = {r[0] == 1 ? 0 : 1,
                                    r[1] > tileM ? (int64_t)tileM : 0,
                                    tn < r[2] ? tn : 0,
                                    r[3] > tk ? tk : 0};
      tileForPeeling(rw, op, sizes);
    }
  }

  /// A matmul register tile whose row count is still dynamic (the 4-row
  /// tiles of a matmul's rows left, when peeling could not prove the main
  /// loop's tiles full: a matmul with no epilogue, as a recurrent layer's
  /// step) would not vectorize and run as scalar loops (the LSTM's
  /// predict at batch 4: 2.9 ms instead of ~0.15). Such tiles go one row
  /// at a time: 1-row vector tiles.
  void tileDynamicRows(IRRewriter &rw, func::FuncOp func) {
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::MatmulOp, linalg::MatmulTransposeAOp>(op) ||
          !op.hasPureTensorSemantics() || !op->getParentOfType<scf::ForOp>())
        return;
      SmallVector<int64_t> r = op.getStaticLoopRanges(); // m, n, k
      if (ShapedType::isDynamic(r[0]) && !ShapedType::isDynamic(r[1]) &&
          !ShapedType::isDynamic(r[2]) && r[1] <= tileN && r[2] <= tileK)
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops)
      (void)tile(rw, op, {1, 0, 0}, LoopType::ForOp);
  }

  /// A batched matmul's tile of one sample (static after peeling) becomes
  /// a plain matmul on the sample's matrices (rank-reducing slices, views
  /// after bufferization): the contraction lowering makes FMAs of an
  /// M x N x K tile, but of a 1 x M x N x K one only scalar shuffles.
  void samplesAsMatmuls(IRRewriter &rw, func::FuncOp func) {
    SmallVector<linalg::BatchMatmulOp> samples;
    func.walk([&](linalg::BatchMatmulOp op) {
      if (op.hasPureTensorSemantics() && !op.hasDynamicShape() &&
          op.getStaticLoopRanges()[0] == 1)
        samples.push_back(op);
    });
    for (linalg::BatchMatmulOp op : samples) {
      rw.setInsertionPoint(op);
      Location loc = op.getLoc();
      auto matrix = [&](Value v) {
        auto t = cast<RankedTensorType>(v.getType());
        return tensor::createCanonicalRankReducingExtractSliceOp(
            rw, loc, v, RankedTensorType::get(t.getShape().drop_front(),
                                              t.getElementType()));
      };
      Value init = op.getDpsInits()[0];
      auto mm = rw.create<linalg::MatmulOp>(
          loc, ValueRange{matrix(op.getDpsInputs()[0]),
                          matrix(op.getDpsInputs()[1])},
          ValueRange{matrix(init)});
      rw.replaceOp(op, tensor::createCanonicalRankReducingInsertSliceOp(
                           rw, loc, mm.getResult(0), init));
    }
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
