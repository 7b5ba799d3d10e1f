//===- LowerLosses.cpp - softmax, losses, metrics, embedding to linalg ----===//
//
// Patterns of nnc-lower-to-linalg for the ops that reduce along an axis and
// read with computed indices. Each takes as few passes over its input as
// the reductions allow: softmax reads x three times (max, sum of exp, the
// result), cross-entropy twice plus one gather per row.
//
//===----------------------------------------------------------------------===//
#include "codegen/LinalgBuilder.h"

using namespace mlir;
using namespace nnc;

namespace {
/// The max and the sum of exp(x - max) of `x` along `axis`: the two
/// reductions of softmax, log-softmax and cross-entropy.
struct SoftmaxStats {
  Value max, sum;
  AffineMap id, rows;
};
} // namespace

static SoftmaxStats softmaxStats(LinalgBuilder &lb, Value x, int64_t axis) {
  RankedTensorType t = typeOf(x);
  SoftmaxStats s;
  s.id = lb.b.getMultiDimIdentityMap(t.getRank());
  s.rows = lb.dropMap(t.getRank(), {axis});
  s.max = lb.reduce(t, {x}, {s.id}, {axis},
                    -std::numeric_limits<double>::infinity(),
                    [](OpBuilder &b, Location l, ValueRange a) -> Value {
                      return b.create<arith::MaximumFOp>(l, a[0], a[1]);
                    });
  s.sum = lb.reduce(t, {x, s.max}, {s.id, s.rows}, {axis}, 0.0,
                    [](OpBuilder &b, Location l, ValueRange a) -> Value {
                      Value e = b.create<math::ExpOp>(
                          l, b.create<arith::SubFOp>(l, a[0], a[1]));
                      return b.create<arith::AddFOp>(l, e, a[2]);
                    });
  return s;
}

template <typename Op>
static LogicalResult lowerSoftmax(Op op, PatternRewriter &rw) {
  constexpr bool isLog = std::is_same_v<Op, LogSoftmaxOp>;
  Value x = op.getInput();
  LinalgBuilder lb(rw, op.getLoc(), {x});
  SoftmaxStats s = softmaxStats(lb, x, op.getAxis());
  rw.replaceOp(op, lb.mapped(op.getType(), {x, s.max, s.sum},
                             {s.id, s.rows, s.rows},
                             [](OpBuilder &b, Location l, ValueRange a) -> Value {
                               Value d = b.create<arith::SubFOp>(l, a[0], a[1]);
                               if (isLog)
                                 return b.create<arith::SubFOp>(
                                     l, d, b.create<math::LogOp>(l, a[2]));
                               return b.create<arith::DivFOp>(
                                   l, b.create<math::ExpOp>(l, d), a[2]);
                             }));
  return success();
}

/// Reads `table[row, clamp(id)]` inside a generic's body.
static Value gather(OpBuilder &b, Location l, Value table, Value row,
                    Value id, int64_t limit) {
  Value i = b.create<arith::IndexCastOp>(l, b.getIndexType(), id);
  Value zero = b.create<arith::ConstantIndexOp>(l, 0);
  Value top = b.create<arith::ConstantIndexOp>(l, limit - 1);
  i = b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, i, zero), top);
  return b.create<tensor::ExtractOp>(l, table, ValueRange{row, i});
}

/// The scalar `sum / count`.
static Value meanOf(LinalgBuilder &lb, Value sum, Value count) {
  return lb.elementwise(typeOf(sum), {sum},
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          return b.create<arith::DivFOp>(l, a[0], count);
                        });
}

static LogicalResult lowerCrossEntropy(CrossEntropyOp op, PatternRewriter &rw) {
  // mean over rows of log(sum(exp(x - max))) + max - x[label].
  Location loc = op.getLoc();
  Value x = op.getLhs(), labels = op.getRhs();
  RankedTensorType t = typeOf(x);
  int64_t classes = t.getDimSize(1);
  LinalgBuilder lb(rw, loc, {x});
  SoftmaxStats s = softmaxStats(lb, x, 1);
  auto rowsType = RankedTensorType::get({t.getDimSize(0)}, t.getElementType());
  AffineMap row = rw.getMultiDimIdentityMap(1);
  Value total = lb.reduce(
      rowsType, {s.max, s.sum, labels}, {row, row, row}, {0}, 0.0,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value n = b.create<linalg::IndexOp>(l, 0);
        Value picked = gather(b, l, x, n, a[2], classes);
        Value lse = b.create<arith::AddFOp>(l, b.create<math::LogOp>(l, a[1]),
                                            a[0]);
        return b.create<arith::AddFOp>(
            l, b.create<arith::SubFOp>(l, lse, picked), a[3]);
      });
  rw.replaceOp(op, meanOf(lb, total, lb.count(t, {0}, t.getElementType())));
  return success();
}

/// Mean over every element of `fn(lhs, rhs)`.
template <typename Op>
static LogicalResult
lowerElementwiseMean(Op op, PatternRewriter &rw,
                     llvm::function_ref<Value(OpBuilder &, Location, Value,
                                              Value)>
                         fn) {
  Value a = op.getLhs(), b = op.getRhs();
  RankedTensorType t = typeOf(a);
  LinalgBuilder lb(rw, op.getLoc(), {a});
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < t.getRank(); ++i)
    all.push_back(i);
  AffineMap id = rw.getMultiDimIdentityMap(t.getRank());
  Value total = lb.reduce(t, {a, b}, {id, id}, all, 0.0,
                          [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
                            return nb.create<arith::AddFOp>(
                                l, fn(nb, l, v[0], v[1]), v[2]);
                          });
  rw.replaceOp(op, meanOf(lb, total, lb.count(t, all, t.getElementType())));
  return success();
}

static LogicalResult lowerBce(BinaryCrossEntropyOp op, PatternRewriter &rw) {
  // max(x, 0) - x t + log(1 + exp(-|x|)): stable for any logit.
  return lowerElementwiseMean(
      op, rw, [](OpBuilder &b, Location l, Value x, Value t) -> Value {
        Type ty = x.getType();
        Value pos = b.create<arith::MaximumFOp>(l, x, cst(b, l, ty, 0));
        Value xt = b.create<arith::MulFOp>(l, x, t);
        Value e = b.create<math::ExpOp>(
            l, b.create<arith::NegFOp>(l, b.create<math::AbsFOp>(l, x)));
        Value soft = b.create<math::Log1pOp>(l, e);
        return b.create<arith::AddFOp>(l, b.create<arith::SubFOp>(l, pos, xt),
                                       soft);
      });
}

static LogicalResult lowerMse(MseOp op, PatternRewriter &rw) {
  return lowerElementwiseMean(
      op, rw, [](OpBuilder &b, Location l, Value p, Value t) -> Value {
        Value d = b.create<arith::SubFOp>(l, p, t);
        return b.create<arith::MulFOp>(l, d, d);
      });
}

static LogicalResult lowerAccuracy(AccuracyOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getLhs(), y = op.getRhs();
  RankedTensorType t = typeOf(x);
  Type el = t.getElementType();
  LinalgBuilder lb(rw, loc, {x});
  if (!typeOf(y).getElementType().isInteger(32)) {
    // [N, 1] logits and 0/1 targets: (x > 0) == (y > 0.5).
    return lowerElementwiseMean(
        op, rw, [](OpBuilder &b, Location l, Value a, Value c) -> Value {
          Type ty = a.getType();
          Value p = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, a,
                                            cst(b, l, ty, 0));
          Value q = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, c,
                                            cst(b, l, ty, 0.5));
          Value same = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, p,
                                               q);
          return b.create<arith::UIToFPOp>(l, ty, same);
        });
  }
  // argmax (the first maximum, as torch.argmax) == label, averaged.
  int64_t classes = t.getDimSize(1);
  SoftmaxStats s;
  s.id = rw.getMultiDimIdentityMap(2);
  Value max = lb.reduce(t, {x}, {s.id}, {1},
                        -std::numeric_limits<double>::infinity(),
                        [](OpBuilder &b, Location l, ValueRange a) -> Value {
                          return b.create<arith::MaximumFOp>(l, a[0], a[1]);
                        });
  // The first class reaching the max: min over c of (x == max ? c : C).
  Value first = lb.reduce(
      t, {x, max}, {s.id, lb.dropMap(2, {1})}, {1}, (double)classes,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value c = b.create<arith::IndexCastOp>(
            l, b.getI64Type(), b.create<linalg::IndexOp>(l, 1));
        Value cf = b.create<arith::SIToFPOp>(l, el, c);
        Value hit = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, a[0],
                                            a[1]);
        Value cand = b.create<arith::SelectOp>(l, hit, cf,
                                               cst(b, l, el, classes));
        return b.create<arith::MinimumFOp>(l, cand, a[2]);
      });
  auto rowsType = RankedTensorType::get({t.getDimSize(0)}, el);
  AffineMap row = rw.getMultiDimIdentityMap(1);
  Value total = lb.reduce(rowsType, {first, y}, {row, row}, {0}, 0.0,
                          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                            Value label = b.create<arith::SIToFPOp>(l, el, a[1]);
                            Value hit = b.create<arith::CmpFOp>(
                                l, arith::CmpFPredicate::OEQ, a[0], label);
                            return b.create<arith::AddFOp>(
                                l, b.create<arith::UIToFPOp>(l, el, hit), a[2]);
                          });
  rw.replaceOp(op, meanOf(lb, total, lb.count(t, {0}, el)));
  return success();
}

static LogicalResult lowerEmbedding(EmbeddingOp op, PatternRewriter &rw) {
  Value table = op.getTable(), ids = op.getIds();
  RankedTensorType out = op.getType();
  int64_t vocab = typeOf(table).getDimSize(0);
  int64_t rank = out.getRank();
  LinalgBuilder lb(rw, op.getLoc(), {ids});
  rw.replaceOp(op, lb.mapped(out, {ids}, {lb.dropMap(rank, {rank - 1})},
                             [&](OpBuilder &b, Location l, ValueRange a) {
                               Value d = b.create<linalg::IndexOp>(l, rank - 1);
                               Value i = b.create<arith::IndexCastOp>(
                                   l, b.getIndexType(), a[0]);
                               Value zero =
                                   b.create<arith::ConstantIndexOp>(l, 0);
                               Value top = b.create<arith::ConstantIndexOp>(
                                   l, vocab - 1);
                               i = b.create<arith::MinSIOp>(
                                   l, b.create<arith::MaxSIOp>(l, i, zero),
                                   top);
                               return b.create<tensor::ExtractOp>(
                                   l, table, ValueRange{i, d});
                             }));
  return success();
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

static LogicalResult lowerWherePositive(WherePositiveOp op,
                                        PatternRewriter &rw) {
  LinalgBuilder lb(rw, op.getLoc(), op->getOperands());
  rw.replaceOp(op, lb.elementwise(
                       op.getType(), op->getOperands(),
                       [](OpBuilder &b, Location l, ValueRange a) -> Value {
                         Value pos = b.create<arith::CmpFOp>(
                             l, arith::CmpFPredicate::OGT, a[0],
                             cst(b, l, a[0].getType(), 0));
                         return b.create<arith::SelectOp>(l, pos, a[1], a[2]);
                       }));
  return success();
}

static LogicalResult lowerReduceGrad(ReduceGradOp op, PatternRewriter &rw) {
  RankedTensorType like = op.getType();
  RankedTensorType grad = typeOf(op.getGrad());
  ArrayRef<int64_t> axes = op.getAxes();
  LinalgBuilder lb(rw, op.getLoc(), {op.getLike()});
  AffineMap map = lb.reducedMap(like, grad, axes);
  Value count = op.getMean() ? lb.count(like, axes, like.getElementType())
                             : Value();
  rw.replaceOp(op, lb.mapped(like, {op.getGrad()}, {map},
                             [&](OpBuilder &b, Location l, ValueRange a) {
                               return count ? b.create<arith::DivFOp>(
                                                  l, a[0], count)
                                            : a[0];
                             }));
  return success();
}

static LogicalResult lowerCrossEntropyGrad(CrossEntropyGradOp op,
                                           PatternRewriter &rw) {
  // (softmax(x) - one_hot(label)) * g / N.
  Value x = op.getLogits();
  RankedTensorType t = typeOf(x);
  Type el = t.getElementType();
  LinalgBuilder lb(rw, op.getLoc(), {x});
  SoftmaxStats s = softmaxStats(lb, x, 1);
  Value n = lb.count(t, {0}, el);
  AffineMap scalar = AffineMap::get(2, 0, {}, rw.getContext());
  rw.replaceOp(op, lb.mapped(
                       t, {x, s.max, s.sum, op.getLabels(), op.getGrad()},
                       {s.id, s.rows, s.rows, s.rows, scalar},
                       [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                         Value p = b.create<arith::DivFOp>(
                             l,
                             b.create<math::ExpOp>(
                                 l, b.create<arith::SubFOp>(l, a[0], a[1])),
                             a[2]);
                         Value c = b.create<arith::IndexCastOp>(
                             l, b.getI32Type(),
                             b.create<linalg::IndexOp>(l, 1));
                         Value hit = b.create<arith::CmpIOp>(
                             l, arith::CmpIPredicate::eq, c, a[3]);
                         Value onehot = b.create<arith::UIToFPOp>(l, el, hit);
                         Value d = b.create<arith::SubFOp>(l, p, onehot);
                         return b.create<arith::DivFOp>(
                             l, b.create<arith::MulFOp>(l, d, a[4]), n);
                       }));
  return success();
}

static LogicalResult lowerGeluGrad(GeluGradOp op, PatternRewriter &rw) {
  // Phi(x) + x phi(x), with Phi(x) = (1 + erf(x / sqrt 2)) / 2 and
  // phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
  LinalgBuilder lb(rw, op.getLoc(), op->getOperands());
  rw.replaceOp(op, lb.elementwise(
                       op.getType(), {op.getInput(), op.getGrad()},
                       [](OpBuilder &b, Location l, ValueRange a) -> Value {
                         Type t = a[0].getType();
                         Value x = a[0];
                         Value erf = b.create<math::ErfOp>(
                             l, b.create<arith::MulFOp>(
                                    l, x, cst(b, l, t, M_SQRT1_2)));
                         Value cdf = b.create<arith::MulFOp>(
                             l, b.create<arith::AddFOp>(l, erf, cst(b, l, t, 1)),
                             cst(b, l, t, 0.5));
                         Value sq = b.create<arith::MulFOp>(l, x, x);
                         Value pdf = b.create<arith::MulFOp>(
                             l,
                             b.create<math::ExpOp>(
                                 l, b.create<arith::MulFOp>(
                                        l, sq, cst(b, l, t, -0.5))),
                             cst(b, l, t, 0.3989422804014327));
                         Value d = b.create<arith::AddFOp>(
                             l, cdf, b.create<arith::MulFOp>(l, x, pdf));
                         return b.create<arith::MulFOp>(l, d, a[1]);
                       }));
  return success();
}

static LogicalResult lowerSlice(SliceOp op, PatternRewriter &rw) {
  RankedTensorType in = typeOf(op.getInput());
  LinalgBuilder lb(rw, op.getLoc(), {op.getInput()});
  SmallVector<OpFoldResult> offsets(in.getRank(), rw.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(in.getRank(), rw.getIndexAttr(1));
  offsets[op.getAxis()] = rw.getIndexAttr(op.getStart());
  SmallVector<OpFoldResult> sizes = lb.mixedSizes(op.getType());
  rw.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, op.getType(),
                                                op.getInput(), offsets, sizes,
                                                strides);
  return success();
}

void nnc::populateLowerLossesPatterns(RewritePatternSet &patterns) {
  patterns.add(lowerGeluGrad);
  patterns.add(lowerSlice);
  patterns.add(lowerWherePositive);
  patterns.add(lowerReduceGrad);
  patterns.add(lowerCrossEntropyGrad);
  patterns.add(lowerSoftmax<SoftmaxOp>);
  patterns.add(lowerSoftmax<LogSoftmaxOp>);
  patterns.add(lowerCrossEntropy);
  patterns.add(lowerBce);
  patterns.add(lowerMse);
  patterns.add(lowerAccuracy);
  patterns.add(lowerEmbedding);
}
