//===- LinalgBuilder.h - helpers of the nnc->linalg lowering ----*- C++ -*-===//
//
// Codegen-internal: builds the linalg/tensor IR shared by LowerToLinalg.cpp
// and LowerLosses.cpp: empty and filled tensors whose batch size comes from
// an operand, elementwise generics with NumPy broadcasting maps, and
// reductions over a set of dims.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CODEGEN_LINALGBUILDER_H
#define NNC_CODEGEN_LINALGBUILDER_H

#include "codegen/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace nnc {

using BodyFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>;

inline mlir::RankedTensorType typeOf(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}

/// A float constant of type `t`.
inline mlir::Value cst(mlir::OpBuilder &b, mlir::Location l, mlir::Type t,
                       double v) {
  return b.create<mlir::arith::ConstantOp>(l, b.getFloatAttr(t, v));
}

class LinalgBuilder {
public:
  LinalgBuilder(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange like)
      : b(b), loc(loc), like(like.begin(), like.end()) {}

  /// The batch size: dim 0 of the first `like` value whose dim 0 is dynamic.
  mlir::Value batch();
  /// The sizes of `type`'s dynamic dims (all batch dims).
  llvm::SmallVector<mlir::Value> dynamicSizes(mlir::RankedTensorType type);
  mlir::Value empty(mlir::RankedTensorType type);
  /// `type`'s sizes, the batch dim's from batch(): for slices.
  llvm::SmallVector<mlir::OpFoldResult> mixedSizes(mlir::RankedTensorType type);
  mlir::Value filled(mlir::RankedTensorType type, double value);
  mlir::Value scalar(mlir::Type element, double value);

  /// An elementwise linalg.generic producing `type`; inputs broadcast to it
  /// NumPy-style (aligned right; size-1 dims repeat).
  mlir::Value elementwise(mlir::RankedTensorType type, mlir::ValueRange inputs,
                          BodyFn body);
  /// Like elementwise, with explicit input maps over `type`'s dims.
  mlir::Value mapped(mlir::RankedTensorType type, mlir::ValueRange inputs,
                     llvm::ArrayRef<mlir::AffineMap> inputMaps, BodyFn body);
  /// Reduces `inputs` (all of `input`'s shape, or mapped by `inputMaps`) over
  /// `axes` of the iteration space `space` into a tensor without those dims,
  /// starting from `init`; `combine(b, loc, [inputs..., acc])` -> new acc.
  mlir::Value reduce(mlir::RankedTensorType space, mlir::ValueRange inputs,
                     llvm::ArrayRef<mlir::AffineMap> inputMaps,
                     llvm::ArrayRef<int64_t> axes, double init, BodyFn combine);
  /// The number of elements of `type` over `axes` as a float of `element`
  /// (uses the batch size when a batch dim is among them).
  mlir::Value count(mlir::RankedTensorType type, llvm::ArrayRef<int64_t> axes,
                    mlir::Type element);
  /// The map from `type`'s dims to an operand of type `operand` broadcast
  /// to it.
  mlir::AffineMap broadcastMap(mlir::RankedTensorType type,
                               mlir::RankedTensorType operand);
  /// `type` without `axes`.
  static mlir::RankedTensorType dropDims(mlir::RankedTensorType type,
                                         llvm::ArrayRef<int64_t> axes);
  /// The map from `rank` dims to the dims not in `axes`.
  mlir::AffineMap dropMap(unsigned rank, llvm::ArrayRef<int64_t> axes);
  /// The map from `space`'s dims to a tensor of type `reduced`: `space`
  /// reduced over `axes`, without them or with them kept as size 1.
  mlir::AffineMap reducedMap(mlir::RankedTensorType space,
                             mlir::RankedTensorType reduced,
                             llvm::ArrayRef<int64_t> axes);

  mlir::OpBuilder &b;
  mlir::Location loc;

private:
  llvm::SmallVector<mlir::Value> like;
  mlir::Value batchSize;
};

/// Index attributes of `values` (static offsets, sizes and strides).
inline llvm::SmallVector<mlir::OpFoldResult>
indexAttrs(mlir::OpBuilder &b, llvm::ArrayRef<int64_t> values) {
  llvm::SmallVector<mlir::OpFoldResult> out;
  for (int64_t v : values)
    out.push_back(b.getIndexAttr(v));
  return out;
}

/// An scf.for from `lb` to `ub` (step 1) carrying `accs` through
/// `body(b, iv, accs)`; its results.
llvm::SmallVector<mlir::Value>
loops(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lb, mlir::Value ub,
      mlir::ValueRange accs,
      llvm::function_ref<llvm::SmallVector<mlir::Value>(
          mlir::OpBuilder &, mlir::Value, mlir::ValueRange)>
          body);
/// The same carrying one value.
mlir::Value loop(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lb,
                 mlir::Value ub, mlir::Value acc,
                 llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Value,
                                                mlir::Value)>
                     body);

/// `accs` through `body(start, width, accs)` over [0, total) in chunks of
/// `size`: the whole ones in an scf.for (one copy of the code; a single
/// one inline), the narrower rest after it.
using ChunkFn = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::Value, int64_t, mlir::ValueRange)>;
llvm::SmallVector<mlir::Value> chunks(mlir::OpBuilder &b, mlir::Location loc,
                                      int64_t total, int64_t size,
                                      mlir::ValueRange accs, ChunkFn body);
/// The same carrying one value.
mlir::Value
chunks(mlir::OpBuilder &b, mlir::Location loc, int64_t total, int64_t size,
       mlir::Value acc,
       llvm::function_ref<mlir::Value(mlir::Value, int64_t, mlir::Value)> body);

/// Pads H and W of an NHWC tensor by [top, bottom, left, right] with `value`.
mlir::Value padNHWC(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                    llvm::ArrayRef<int64_t> pad, double value);
/// A vector attribute of i64 (strides and dilations of linalg's windows).
mlir::DenseIntElementsAttr i64Vector(mlir::OpBuilder &b,
                                     llvm::ArrayRef<int64_t> v);
/// `pooled` (NHWC sums of windows over an `input` of that type) divided by
/// the number of unpadded elements under each window.
mlir::Value divideByWindowCounts(LinalgBuilder &lb, mlir::Value pooled,
                                 mlir::RankedTensorType input,
                                 llvm::ArrayRef<int64_t> window,
                                 llvm::ArrayRef<int64_t> strides,
                                 llvm::ArrayRef<int64_t> padding);

/// Max pooling whose windows tile the input (stride = window, no
/// padding): each window's first maximum (in window order, as PyTorch
/// routes ties) as the tap kh * KW + kw in `input`'s float type, or
/// KH * KW where none equals the maximum (NaN): [N, OH, OW, C], the shape
/// of `output` (the pooled maxima).
mlir::Value firstMaxTaps(LinalgBuilder &lb, mlir::Value input,
                         mlir::Value output, llvm::ArrayRef<int64_t> window);

/// Patterns of LowerLosses.cpp: softmax, log_softmax, losses, metrics and
/// embedding.
void populateLowerLossesPatterns(mlir::RewritePatternSet &patterns);
/// Patterns of LowerGradients.cpp: the gradient ops of convolution,
/// pooling, max and embedding. Marks what they build legal in `target`.
/// `inputGradByTaps`: see the option of nnc-lower-to-linalg.
void populateLowerGradientsPatterns(mlir::RewritePatternSet &patterns,
                                    mlir::ConversionTarget &target,
                                    bool inputGradByTaps);

/// Patterns of LowerRecurrent.cpp: recurrent, recurrent_train and
/// recurrent_grad as loops over time. Marks scf legal in `target`.
void populateLowerRecurrentPatterns(mlir::RewritePatternSet &patterns,
                                    mlir::ConversionTarget &target);

/// Patterns of LowerTraining.cpp: dropout_train and the optimizer updates.
void populateLowerTrainingPatterns(mlir::RewritePatternSet &patterns);

} // namespace nnc

#endif // NNC_CODEGEN_LINALGBUILDER_H
