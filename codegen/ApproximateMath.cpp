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
/// `<instruction>.f32 $0, $1...` (or f64) in inline assembly, on
/// `operands` of `type`. Conversions name the type twice (cvt.rmi.f32.f32).
Value ptx(PatternRewriter &rewriter, Location loc, Type type,
          StringRef instruction, ValueRange operands) {
  bool f64 = type.isF64();
  std::string suffix = f64 ? "f64" : "f32";
  std::string text = instruction.str() + suffix;
  if (instruction.starts_with("cvt."))
    text += "." + suffix;
  std::string c = f64 ? "d" : "f";
  std::string constraints = "=" + c;
  text += " $0";
  for (unsigned i = 0; i < operands.size(); ++i) {
    constraints += "," + c;
    text += ", $" + std::to_string(i + 1);
  }
  return rewriter
      .create<LLVM::InlineAsmOp>(loc, type, operands, text + ";", constraints,
                                 /*has_side_effects=*/false,
                                 /*is_align_stack=*/false,
                                 LLVM::AsmDialectAttr(), ArrayAttr())
      .getResult(0);
}

bool isF32OrF64(Type type) { return type.isF32() || type.isF64(); }

/// A math op as the one PTX instruction it is (`cvt.rmi.f32.f32`,
/// `sqrt.rn.f64`...), in inline assembly: convert-gpu-to-nvvm would make
/// it a call into CUDA's libdevice, which then has to be linked.
template <typename MathOp>
struct ToPtx : OpRewritePattern<MathOp> {
  ToPtx(MLIRContext *ctx, const char *instruction)
      : OpRewritePattern<MathOp>(ctx), instruction(instruction) {}
  LogicalResult matchAndRewrite(MathOp op,
                                PatternRewriter &rewriter) const override {
    if (!isF32OrF64(op.getType()))
      return failure();
    SmallVector<Value> operands(op->getOperands());
    // copysign(x, y) is PTX's `copysign d, y, x` (sign from the first).
    if (isa<math::CopySignOp>(op))
      std::swap(operands[0], operands[1]);
    rewriter.replaceOp(op, ptx(rewriter, op.getLoc(), op.getType(),
                               instruction, operands));
    return success();
  }
  const char *instruction;
};

/// remf(x, y) = x - y * trunc(x / y): PTX has no remainder instruction
/// (libdevice's fmodf would be called). Exact while x / y is (powf's
/// expansion takes y mod 2).
struct RemFToPtx : OpRewritePattern<arith::RemFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::RemFOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!isF32OrF64(type))
      return failure();
    Location loc = op.getLoc();
    Value quotient = rewriter.create<arith::DivFOp>(loc, op.getLhs(),
                                                    op.getRhs());
    Value truncated = ptx(rewriter, loc, type, "cvt.rzi.", quotient);
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
    native.add<ToPtx<math::CopySignOp>>(ctx, "copysign.");
    native.add<RemFToPtx>(ctx);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(native))))
      signalPassFailure();
  }
};
} // namespace
