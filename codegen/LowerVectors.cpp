//===- LowerVectors.cpp - vector ops to FMAs and plain transfers ----------===//
#include "codegen/Passes.h"

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
    vector::populateVectorTransferPermutationMapLoweringPatterns(fold);
    vector::populateVectorReductionToContractPatterns(fold);
    vector::populateSinkVectorBroadcastPatterns(fold);
    vector::ContractionOp::getCanonicalizationPatterns(fold, ctx);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(fold))))
      return signalPassFailure();

    // 2. Contractions become outer products, then FMAs; the other n-D ops
    //    their 1-D forms.
    RewritePatternSet patterns(ctx);
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
    //    splits again through chains of shuffles.)
    RewritePatternSet transfers(ctx);
    vector::populateVectorTransferDropUnitDimsPatterns(transfers);
    vector::populateVectorTransferLoweringPatterns(transfers,
                                                   /*maxTransferRank=*/1);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(transfers))))
      signalPassFailure();
  }
};
} // namespace
