//===- LowerVectors.cpp - vector ops to FMAs and plain transfers ----------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_LOWERVECTORS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// A transfer_read that reads one element and broadcasts it (every vector
/// dim that it does not broadcast has size 1, in bounds), such as a row's
/// statistic read across the row's features in a layernorm or softmax
/// gradient: a scalar load and a vector.broadcast. Left to the permutation
/// lowering, a broadcast along the minor dim becomes one along the major
/// dim plus a transpose, which then sinks through the elementwise ops
/// around it: they end up on vector<64x1x1xf32>, which LLVM gets as 64
/// one-lane vectors (the transformer's layernorm gradient was 5,500 lines
/// of LLVM IR, its divisions and square roots one lane at a time).
struct ScalarBroadcastRead : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp op,
                                PatternRewriter &rw) const override {
    auto source = dyn_cast<MemRefType>(op.getSource().getType());
    VectorType type = op.getVectorType();
    AffineMap map = op.getPermutationMap();
    if (op.getMask() || !source || type.isScalable() ||
        source.getElementType() != type.getElementType() ||
        map.isMinorIdentity())
      return failure();
    bool broadcasts = false;
    for (auto [i, e] : llvm::enumerate(map.getResults())) {
      if (auto c = dyn_cast<AffineConstantExpr>(e)) {
        if (c.getValue() != 0)
          return failure();
        broadcasts |= type.getDimSize(i) > 1;
      } else if (type.getDimSize(i) != 1 || !op.isDimInBounds(i)) {
        return failure();
      }
    }
    if (!broadcasts)
      return failure();
    Value scalar =
        rw.create<memref::LoadOp>(op.getLoc(), op.getSource(), op.getIndices());
    rw.replaceOpWithNewOp<vector::BroadcastOp>(op, type, scalar);
    return success();
  }
};

/// A contraction whose parallel dims all have size 1 and whose operands
/// are one row each, read through the same map (a row's dot product, e.g.
/// the sums of a layernorm gradient): the rows multiplied and
/// added up by one vector.reduction (a tree: reassociation allowed) into
/// the accumulator. The outer-product lowering that suits register tiles
/// would make it one fma on a one-lane vector per reduced element (64
/// extracts and fmas for a 64-wide row).
struct DotContract : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rw) const override {
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    VectorType lhsType = op.getLhsType(), rhsType = op.getRhsType();
    if (op.getKind() != vector::CombiningKind::ADD ||
        isa<vector::MaskOp>(op->getParentOp()) ||
        !isa<FloatType>(lhsType.getElementType()) || lhsType.isScalable() ||
        rhsType.isScalable())
      return failure();
    auto accType = dyn_cast<VectorType>(op.getAccType());
    if (accType && accType.getNumElements() != 1)
      return failure();
    // Each operand is one row (its other dims have size 1) along the same
    // reduced dim, and no other dim has more than one element: the result
    // is that row's dot product.
    std::optional<unsigned> reduced;
    for (auto [type, map] : {std::make_pair(lhsType, maps[0]),
                             std::make_pair(rhsType, maps[1])}) {
      ArrayRef<int64_t> shape = type.getShape();
      if (llvm::any_of(shape.drop_back(), [](int64_t d) { return d != 1; }))
        return failure();
      auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
      if (!last || (reduced && *reduced != last.getPosition()))
        return failure();
      reduced = last.getPosition();
    }
    if (op.getIteratorTypesArray()[*reduced] !=
            vector::IteratorType::reduction ||
        lhsType.getShape().back() != rhsType.getShape().back())
      return failure();
    Location loc = op.getLoc();
    auto row = [&](Value v, VectorType type) -> Value {
      if (type.getRank() == 1)
        return v;
      return rw.create<vector::ExtractOp>(
          loc, v, SmallVector<int64_t>(type.getRank() - 1, 0));
    };
    Value lhs = row(op.getLhs(), lhsType), rhs = row(op.getRhs(), rhsType);
    Value acc = op.getAcc();
    if (accType)
      acc = rw.create<vector::ExtractOp>(
          loc, acc, SmallVector<int64_t>(accType.getRank(), 0));
    Value sum = rw.create<vector::ReductionOp>(
        loc, vector::CombiningKind::ADD, rw.create<arith::MulFOp>(loc, lhs, rhs),
        acc, arith::FastMathFlags::reassoc);
    if (accType)
      sum = rw.create<vector::BroadcastOp>(loc, accType, sum);
    rw.replaceOp(op, sum);
    return success();
  }
};

/// A shape_cast that only adds or drops leading unit dims (vector<64xf32>
/// to vector<1x1x64xf32> and back): a broadcast, or an extract of the one
/// row. MLIR's shape_cast lowering moves such casts lane by lane (64
/// extracts and inserts for a 64-wide row).
struct UnitDimShapeCast : OpRewritePattern<vector::ShapeCastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ShapeCastOp op,
                                PatternRewriter &rw) const override {
    VectorType from = op.getSourceVectorType(), to = op.getResultVectorType();
    if (from.isScalable() || to.isScalable())
      return failure();
    auto leadingUnits = [](VectorType wide, VectorType narrow) {
      int64_t extra = wide.getRank() - narrow.getRank();
      return extra > 0 && narrow.getRank() > 0 &&
             llvm::all_of(wide.getShape().take_front(extra),
                          [](int64_t d) { return d == 1; }) &&
             wide.getShape().drop_front(extra) == narrow.getShape();
    };
    if (leadingUnits(to, from)) {
      rw.replaceOpWithNewOp<vector::BroadcastOp>(op, to, op.getSource());
      return success();
    }
    if (leadingUnits(from, to)) {
      rw.replaceOpWithNewOp<vector::ExtractOp>(
          op, op.getSource(),
          SmallVector<int64_t>(from.getRank() - to.getRank(), 0));
      return success();
    }
    return failure();
  }
};

/// A multi_reduction over the innermost dim alone, of a few rows (softmax's
/// max and sum over a row of 28 scores, two rows per tile): one
/// vector.reduction per row (a tree for additions: reassociation allowed).
/// The inner-parallel lowering that suits reductions over outer dims would
/// transpose the rows into columns first (28 two-lane vectors, extracted
/// and inserted lane by lane).
struct RowReductions : OpRewritePattern<vector::MultiDimReductionOp> {
  using OpRewritePattern::OpRewritePattern;
  static constexpr int64_t kMaxRows = 16;
  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rw) const override {
    VectorType type = op.getSourceVectorType();
    int64_t rank = type.getRank();
    SmallVector<bool> reduced = op.getReductionMask();
    if (type.isScalable() || rank < 2 || !reduced[rank - 1] ||
        llvm::count(reduced, true) != 1 ||
        isa<vector::MaskOp>(op->getParentOp()))
      return failure();
    int64_t rows = type.getNumElements() / type.getShape().back();
    if (rows > kMaxRows)
      return failure();
    Location loc = op.getLoc();
    Value result = op.getAcc();
    arith::FastMathFlags flags =
        op.getKind() == vector::CombiningKind::ADD &&
                isa<FloatType>(type.getElementType())
            ? arith::FastMathFlags::reassoc
            : arith::FastMathFlags::none;
    SmallVector<int64_t> at(rank - 1, 0);
    ArrayRef<int64_t> lead = type.getShape().drop_back();
    for (int64_t r = 0; r < rows; ++r) {
      Value row = rw.create<vector::ExtractOp>(loc, op.getSource(), at);
      Value acc = rw.create<vector::ExtractOp>(loc, op.getAcc(), at);
      Value sum = rw.create<vector::ReductionOp>(loc, op.getKind(), row, acc,
                                                 flags);
      result = rw.create<vector::InsertOp>(loc, sum, result, at);
      for (int64_t d = rank - 2; d >= 0; --d) {
        if (++at[d] < lead[d])
          break;
        at[d] = 0;
      }
    }
    rw.replaceOp(op, result);
    return success();
  }
};

struct LowerVectors : nnc::impl::LowerVectorsBase<LowerVectors> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    vector::VectorTransformsOptions options;
    options.setVectorTransformsOptions(vector::VectorContractLowering::OuterProduct);
    options.setVectorMultiReductionLowering(
        vector::VectorMultiReductionLowering::InnerParallel);
    options.setVectorTransposeLowering(vector::VectorTransposeLowering::EltWise);
    // 1. Permuted and broadcasting transfers become plain transfers plus
    //    broadcasts and transposes, which fold into the contractions'
    //    indexing maps (so a matmul tile contracts vector<MxK> with
    //    vector<KxN> rather than two broadcast 3-D vectors).
    RewritePatternSet fold(ctx);
    fold.add<ScalarBroadcastRead>(ctx, /*benefit=*/2);
    vector::populateVectorTransferPermutationMapLoweringPatterns(fold);
    vector::populateVectorReductionToContractPatterns(fold);
    vector::populateSinkVectorBroadcastPatterns(fold);
    vector::ContractionOp::getCanonicalizationPatterns(fold, ctx);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(fold))))
      return signalPassFailure();

    // 2. Contractions become outer products, then FMAs; the other n-D ops
    //    their 1-D forms. Rows' dot products, reductions along a few rows
    //    and leading-unit-dim shape casts first get forms of their own
    //    (above) that are not taken apart lane by lane.
    RewritePatternSet patterns(ctx);
    patterns.add<DotContract, UnitDimShapeCast, RowReductions>(
        ctx, /*benefit=*/2);
    vector::populateVectorContractLoweringPatterns(patterns, options);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, options.vectorMultiReductionLowering);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(patterns, options);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    vector::populateVectorMaskOpLoweringPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      return signalPassFailure();

    // 3. n-D transfers become 1-D loads and stores, one per row. (Not
    //    flattened into one long vector where rows are contiguous: an
    //    8 x 32 register tile would become a <256 x float> value that LLVM
    //    splits again through chains of shuffles.) Unit dims are dropped
    //    from elementwise ops and transfers alike (the shape_casts between
    //    them cancel): a tile with an innermost dim of 1 (an image's one
    //    channel) would otherwise be one-lane vectors.
    // UnitDimShapeCast again: the unit-dim drop makes shape casts of its
    // own. (Both registrations matter: cnn.nn's IR before LLVM is 31K
    // lines, 32K without the one above, 54K without this one.)
    RewritePatternSet transfers(ctx);
    transfers.add<UnitDimShapeCast>(ctx, /*benefit=*/2);
    vector::populateDropUnitDimWithShapeCastPatterns(transfers);
    vector::ShapeCastOp::getCanonicalizationPatterns(transfers, ctx);
    vector::populateVectorBroadcastLoweringPatterns(transfers);
    vector::populateVectorTransferDropUnitDimsPatterns(transfers);
    vector::populateVectorTransferLoweringPatterns(transfers,
                                                   /*maxTransferRank=*/1);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(transfers))))
      signalPassFailure();
  }
};
} // namespace
