//===- ApproximateMath.cpp - polynomial f32 math --------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// A math op as the one PTX instruction it is (`cvt.rmi.f32.f32`,
/// `sqrt.rn.f64`...), in inline assembly: convert-gpu-to-nvvm would make
/// it a call into CUDA's libdevice, which then has to be linked.
template <typename MathOp>
struct ToPtx : OpRewritePattern<MathOp> {
  ToPtx(MLIRContext *ctx, const char *instruction)
      : OpRewritePattern<MathOp>(ctx), instruction(instruction) {}
  LogicalResult matchAndRewrite(MathOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!type.isF32() && !type.isF64())
      return failure();
    bool f64 = type.isF64();
    std::string text = std::string(instruction) + (f64 ? "f64" : "f32");
    if (text.rfind("cvt.", 0) == 0)
      text += f64 ? ".f64" : ".f32"; // cvt.rmi.f32.f32: from and to
    std::string c = f64 ? "d" : "f";
    std::string constraints = "=" + c;
    text += " $0";
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      constraints += "," + c;
      text += ", $" + std::to_string(i + 1);
    }
    rewriter.replaceOpWithNewOp<LLVM::InlineAsmOp>(
        op, type, op->getOperands(), text + ";", constraints,
        /*has_side_effects=*/false, /*is_align_stack=*/false,
        LLVM::AsmDialectAttr(), ArrayAttr());
    return success();
  }
  const char *instruction;
};

/// copysign(x, y) = PTX's `copysign d, y, x` (sign from the first).
struct CopySignToPtx : OpRewritePattern<math::CopySignOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::CopySignOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!type.isF32() && !type.isF64())
      return failure();
    bool f64 = type.isF64();
    rewriter.replaceOpWithNewOp<LLVM::InlineAsmOp>(
        op, type, ValueRange{op.getRhs(), op.getLhs()},
        std::string("copysign.") + (f64 ? "f64" : "f32") + " $0, $1, $2;",
        f64 ? "=d,d,d" : "=f,f,f", false, false, LLVM::AsmDialectAttr(),
        ArrayAttr());
    return success();
  }
};

/// remf(x, y) = x - y * trunc(x / y): PTX has no remainder instruction
/// (libdevice's fmodf would be called). Exact while x / y is (powf's
/// expansion takes y mod 2).
struct RemFToPtx : OpRewritePattern<arith::RemFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::RemFOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!type.isF32() && !type.isF64())
      return failure();
    bool f64 = type.isF64();
    Location loc = op.getLoc();
    Value quotient = rewriter.create<arith::DivFOp>(loc, op.getLhs(),
                                                    op.getRhs());
    Value truncated =
        rewriter
            .create<LLVM::InlineAsmOp>(
                loc, type, ValueRange{quotient},
                f64 ? "cvt.rzi.f64.f64 $0, $1;" : "cvt.rzi.f32.f32 $0, $1;",
                f64 ? "=d,d" : "=f,f", false, false, LLVM::AsmDialectAttr(),
                ArrayAttr())
            .getResult(0);
    Value product = rewriter.create<arith::MulFOp>(loc, op.getRhs(), truncated);
    rewriter.replaceOpWithNewOp<arith::SubFOp>(op, op.getLhs(), product);
    return success();
  }
};

struct ApproximateMath : nnc::impl::ApproximateMathBase<ApproximateMath> {
  using ApproximateMathBase::ApproximateMathBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (gpu) {
      // powf as exp(y log x), whose exp and log become polynomials below.
      RewritePatternSet expand(ctx);
      populateExpandPowFPattern(expand);
      if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                              std::move(expand))))
        return signalPassFailure();
    }
    RewritePatternSet patterns(ctx);
    MathPolynomialApproximationOptions options;
    options.enableAvx2 = false; // portable: no x86vector intrinsics
    populateMathPolynomialApproximationPatterns(patterns, options);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      return signalPassFailure();
    if (!gpu)
      return;
    RewritePatternSet native(ctx);
    native.add<ToPtx<math::FloorOp>>(ctx, "cvt.rmi.");
    native.add<ToPtx<math::CeilOp>>(ctx, "cvt.rpi.");
    native.add<ToPtx<math::FmaOp>>(ctx, "fma.rn.");
    native.add<ToPtx<math::AbsFOp>>(ctx, "abs.");
    native.add<ToPtx<math::SqrtOp>>(ctx, "sqrt.rn.");
    native.add<CopySignToPtx, RemFToPtx>(ctx);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(native))))
      signalPassFailure();
  }
};
} // namespace
