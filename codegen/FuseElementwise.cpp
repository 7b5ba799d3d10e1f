//===- FuseElementwise.cpp - elementwise fusion that keeps named ops ------===//
//
// linalg-fuse-elementwise-ops with two differences: a reshape next to a named
// linalg op (matmul, convolution, pooling) is not folded into it. Upstream
// folds `expand_shape(matmul)` by expanding the matmul's iteration space,
// which turns it into a linalg.generic that nnc-tile-and-vectorize no
// longer recognizes as a matmul: it would run as scalar loops. (The
// backward pass makes such reshapes: the gradient of a flatten after a
// dense layer.) And nothing is fused into an op that reads through windows
// (see readsWindows).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

static bool isNamedLinalgOp(Operation *op) {
  return isa_and_nonnull<linalg::LinalgOp>(op) && !isa<linalg::GenericOp>(op);
}

/// Whether `op` reads an operand through windows (a map with sums of dims,
/// such as a convolution's filter gradient): a producer fused into it
/// would be computed again for every window that holds an element, and
/// nnc-tile-and-vectorize recognizes the filter gradient by its operands.
static bool readsWindows(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp &&
         llvm::any_of(linalgOp.getIndexingMapsArray(), [](AffineMap m) {
           return !m.isProjectedPermutation(/*allowZeroInResults=*/true);
         });
}

namespace {
struct FuseElementwise : nnc::impl::FuseElementwiseBase<FuseElementwise> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    // Upstream's rule (a producer with one use), named ops kept named,
    // and nothing fused into an op that reads through windows.
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse() &&
             !isNamedLinalgOp(producer) &&
             !isNamedLinalgOp(fused->getOwner()) &&
             !readsWindows(fused->getOwner());
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    GreedyRewriteConfig config;
    config.useTopDownTraversal = true;
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns),
                                       config);
  }
};
} // namespace
