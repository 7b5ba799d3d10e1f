//===- Gradients.cpp - vector-Jacobian products of nnc ops ----------------===//
//
// DifferentiableOp for each op with a gradient: given d loss / d results,
// build d loss / d operands out of nnc ops (so that the backward graph is
// fused and lowered like the forward one). Broadcasting operands get their
// gradient summed over the broadcast dims.
//
//===----------------------------------------------------------------------===//
#include "ir/NncOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace nnc;

namespace {
/// Builds nnc ops with their result types inferred by the shape rules.
struct G {
  OpBuilder &b;
  Location loc;

  static RankedTensorType type(Value v) {
    return cast<RankedTensorType>(v.getType());
  }
  Value scalar(double value, Type element) {
    auto t = RankedTensorType::get({}, element);
    return b.create<ConstantOp>(
        loc, cast<ElementsAttr>(DenseElementsAttr::get(
                 t, b.getFloatAttr(element, value))));
  }
  template <typename Op> Value binary(Value x, Value y) {
    auto t = shapes::broadcast(loc, type(x), type(y));
    return b.create<Op>(loc, *t, x, y);
  }
  Value add(Value x, Value y) { return binary<AddOp>(x, y); }
  Value sub(Value x, Value y) { return binary<SubOp>(x, y); }
  Value mul(Value x, Value y) { return binary<MulOp>(x, y); }
  Value div(Value x, Value y) { return binary<DivOp>(x, y); }
  Value mul(Value x, double c) {
    return mul(x, scalar(c, type(x).getElementType()));
  }
  Value neg(Value x) { return b.create<NegOp>(loc, x); }
  Value sum(Value x, ArrayRef<int64_t> axes, bool keepdims) {
    auto t = shapes::reduce(loc, type(x), axes, keepdims);
    return b.create<ReduceSumOp>(loc, *t, x, axes, keepdims);
  }
  Value reshape(Value x, RankedTensorType t) {
    return x.getType() == t ? x : b.create<ReshapeOp>(loc, t, x).getResult();
  }
  Value transpose(Value x, ArrayRef<int64_t> perm) {
    auto t = shapes::transpose(loc, type(x), perm);
    return b.create<TransposeOp>(loc, *t, x, perm);
  }
  Value matmul(Value x, Value y) {
    auto t = shapes::matmul(loc, type(x), type(y));
    return b.create<MatmulOp>(loc, *t, x, y);
  }
  /// The gradient of an operand of type `t` that was broadcast to
  /// `grad`'s shape: summed over the broadcast dims.
  Value unbroadcast(Value grad, RankedTensorType t) {
    RankedTensorType g = type(grad);
    if (g == t)
      return grad;
    SmallVector<int64_t> axes;
    int64_t lead = g.getRank() - t.getRank();
    for (int64_t i = 0; i < g.getRank(); ++i)
      if (i < lead || (t.getDimSize(i - lead) == 1 && g.getDimSize(i) != 1))
        axes.push_back(i);
    Value summed = axes.empty() ? grad : sum(grad, axes, /*keepdims=*/true);
    return reshape(summed, t);
  }
  /// Swaps the last two dims.
  Value swapLast(Value x) {
    int64_t r = type(x).getRank();
    SmallVector<int64_t> perm;
    for (int64_t i = 0; i < r; ++i)
      perm.push_back(i);
    std::swap(perm[r - 1], perm[r - 2]);
    return transpose(x, perm);
  }
};

template <typename OpTy> G builder(OpTy op, OpBuilder &b) {
  return G{b, op.getLoc()};
}
} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult ReluOp::buildGradients(OpBuilder &b, ValueRange dy,
                                     SmallVectorImpl<Value> &dx) {
  // relu(x) is 0 exactly where x <= 0: it is the "otherwise" of the mask.
  // The mask reads the result, not the input (relu(x) > 0 exactly where
  // x > 0): the backward keeps the activation it needs anyway, so the
  // forward can fuse the pre-activation (bias add) and the relu into the
  // producer's epilogue as inference does, and training's forward kernels
  // are the same as inference's (nnc-outline-kernels keeps them once).
  dx.push_back(b.create<WherePositiveOp>(getLoc(), getResult(), dy[0],
                                         getResult()));
  return success();
}

LogicalResult LeakyReluOp::buildGradients(OpBuilder &b, ValueRange dy,
                                          SmallVectorImpl<Value> &dx) {
  G g = builder(*this, b);
  dx.push_back(b.create<WherePositiveOp>(
      getLoc(), getInput(), dy[0],
      g.mul(dy[0], getAlpha().convertToDouble())));
  return success();
}

LogicalResult AbsOp::buildGradients(OpBuilder &b, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  G g = builder(*this, b);
  dx.push_back(
      b.create<WherePositiveOp>(getLoc(), getInput(), dy[0], g.neg(dy[0])));
  return success();
}

LogicalResult SigmoidOp::buildGradients(OpBuilder &b, ValueRange dy,
                                        SmallVectorImpl<Value> &dx) {
  G g = builder(*this, b);
  Value y = getResult();
  Type el = G::type(y).getElementType();
  dx.push_back(g.mul(dy[0], g.mul(y, g.sub(g.scalar(1, el), y))));
  return success();
}

LogicalResult TanhOp::buildGradients(OpBuilder &b, ValueRange dy,
                                     SmallVectorImpl<Value> &dx) {
  G g = builder(*this, b);
  Value y = getResult();
  Type el = G::type(y).getElementType();
  dx.push_back(g.mul(dy[0], g.sub(g.scalar(1, el), g.mul(y, y))));
  return success();
}

LogicalResult ExpOp::buildGradients(OpBuilder &b, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  dx.push_back(builder(*this, b).mul(dy[0], getResult()));
  return success();
}

LogicalResult LogOp::buildGradients(OpBuilder &b, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  dx.push_back(builder(*this, b).div(dy[0], getInput()));
  return success();
}

LogicalResult SqrtOp::buildGradients(OpBuilder &b, ValueRange dy,
                                     SmallVectorImpl<Value> &dx) {
  G g = builder(*this, b);
  dx.push_back(g.div(g.mul(dy[0], 0.5), getResult()));
  return success();
}

LogicalResult NegOp::buildGradients(OpBuilder &b, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  dx.push_back(builder(*this, b).neg(dy[0]));
  return success();
}

LogicalResult GeluOp::buildGradients(OpBuilder &b, ValueRange dy,
                                     SmallVectorImpl<Value> &dx) {
  dx.push_back(b.create<GeluGradOp>(getLoc(), getInput(), dy[0]));
  return success();
}

LogicalResult DropoutTrainOp::buildGradients(OpBuilder &b, ValueRange dy,
                                             SmallVectorImpl<Value> &dx) {
  // The same mask (same key, stream and positions) times the gradient.
  dx.push_back(b.create<DropoutTrainOp>(getLoc(), dy[0], getKey(), getRate(),
                                        getStream()));
  dx.push_back(nullptr); // the key
  return success();
}

LogicalResult AddOp::buildGradients(OpBuilder &b, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  G g = builder(*this, b);
  dx.push_back(g.unbroadcast(dy[0], G::type(getLhs())));
  dx.push_back(g.unbroadcast(dy[0], G::type(getRhs())));
  return success();
}

LogicalResult SubOp::buildGradients(OpBuilder &b, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  G g = builder(*this, b);
  dx.push_back(g.unbroadcast(dy[0], G::type(getLhs())));
  dx.push_back(g.unbroadcast(g.neg(dy[0]), G::type(getRhs())));
  return success();
}

LogicalResult MulOp::buildGradients(OpBuilder &b, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  G g = builder(*this, b);
  dx.push_back(g.unbroadcast(g.mul(dy[0], getRhs()), G::type(getLhs())));
  dx.push_back(g.unbroadcast(g.mul(dy[0], getLhs()), G::type(getRhs())));
  return success();
}

LogicalResult DivOp::buildGradients(OpBuilder &b, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  // d(a / b) = da / b - a db / b^2 = (da - y db) / b.
  G g = builder(*this, b);
  dx.push_back(g.unbroadcast(g.div(dy[0], getRhs()), G::type(getLhs())));
  dx.push_back(g.unbroadcast(g.neg(g.div(g.mul(dy[0], getResult()), getRhs())),
                             G::type(getRhs())));
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions and shapes
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildGradients(OpBuilder &b, ValueRange dy,
                                       SmallVectorImpl<Value> &dx) {
  G g = builder(*this, b);
  Value lhs = getLhs(), rhs = getRhs(), grad = dy[0];
  int64_t rank = G::type(lhs).getRank();
  // d lhs = dy @ rhs^T (rhs shared or batched alike).
  dx.push_back(g.matmul(grad, g.swapLast(rhs)));
  if (G::type(rhs).getRank() == rank) {
    dx.push_back(g.matmul(g.swapLast(lhs), grad)); // batched: per batch
  } else if (rank == 2) {
    dx.push_back(g.matmul(g.swapLast(lhs), grad)); // [k, N] @ [N, n]
  } else {
    // A 2-D rhs shared by every leading index: sum the per-index products.
    Value perIndex = g.matmul(g.swapLast(lhs), grad);
    SmallVector<int64_t> lead;
    for (int64_t i = 0; i < rank - 2; ++i)
      lead.push_back(i);
    dx.push_back(g.sum(perIndex, lead, /*keepdims=*/false));
  }
  return success();
}

LogicalResult ReshapeOp::buildGradients(OpBuilder &b, ValueRange dy,
                                        SmallVectorImpl<Value> &dx) {
  dx.push_back(builder(*this, b).reshape(dy[0], G::type(getInput())));
  return success();
}

LogicalResult TransposeOp::buildGradients(OpBuilder &b, ValueRange dy,
                                          SmallVectorImpl<Value> &dx) {
  SmallVector<int64_t> inverse(getPerm().size());
  for (auto [i, p] : llvm::enumerate(getPerm()))
    inverse[p] = i;
  dx.push_back(builder(*this, b).transpose(dy[0], inverse));
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, ValueRange dy,
                                       SmallVectorImpl<Value> &dx) {
  // Each input gets its own slice of the gradient along the axis.
  int64_t offset = 0, axis = (int64_t)getAxis();
  for (Value in : getInputs()) {
    auto t = G::type(in);
    int64_t size = t.getDimSize(axis);
    dx.push_back(b.create<SliceOp>(getLoc(), t, dy[0], axis, offset, size));
    offset += size;
  }
  return success();
}

LogicalResult ReduceSumOp::buildGradients(OpBuilder &b, ValueRange dy,
                                          SmallVectorImpl<Value> &dx) {
  dx.push_back(b.create<ReduceGradOp>(getLoc(), getInput().getType(), dy[0],
                                      getInput(), getAxes(), false));
  return success();
}

LogicalResult ReduceMeanOp::buildGradients(OpBuilder &b, ValueRange dy,
                                           SmallVectorImpl<Value> &dx) {
  dx.push_back(b.create<ReduceGradOp>(getLoc(), getInput().getType(), dy[0],
                                      getInput(), getAxes(), true));
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b, ValueRange dy,
                                        SmallVectorImpl<Value> &dx) {
  // y (dy - sum(dy y)) along the axis.
  G g = builder(*this, b);
  Value y = getResult();
  int64_t axis = getAxis();
  Value dot = g.sum(g.mul(dy[0], y), {axis}, /*keepdims=*/true);
  dx.push_back(g.mul(y, g.sub(dy[0], dot)));
  return success();
}

LogicalResult LogSoftmaxOp::buildGradients(OpBuilder &b, ValueRange dy,
                                           SmallVectorImpl<Value> &dx) {
  // dy - softmax(x) sum(dy) along the axis.
  G g = builder(*this, b);
  int64_t axis = getAxis();
  Value total = g.sum(dy[0], {axis}, /*keepdims=*/true);
  Value p = b.create<ExpOp>(getLoc(), getResult());
  dx.push_back(g.sub(dy[0], g.mul(p, total)));
  return success();
}

LogicalResult CrossEntropyOp::buildGradients(OpBuilder &b, ValueRange dy,
                                             SmallVectorImpl<Value> &dx) {
  dx.push_back(b.create<CrossEntropyGradOp>(getLoc(), getLhs().getType(),
                                            getLhs(), getRhs(), dy[0]));
  dx.push_back(Value()); // class ids
  return success();
}

/// The mean's gradient spread over every element of `like`.
static Value meanGrad(OpBuilder &b, Location loc, Value grad, Value like) {
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < G::type(like).getRank(); ++i)
    all.push_back(i);
  return b.create<ReduceGradOp>(loc, like.getType(), grad, like, all, true);
}

LogicalResult BinaryCrossEntropyOp::buildGradients(
    OpBuilder &b, ValueRange dy, SmallVectorImpl<Value> &dx) {
  // (sigmoid(x) - t) / count.
  G g = builder(*this, b);
  Value p = b.create<SigmoidOp>(getLoc(), getLhs());
  Value spread = meanGrad(b, getLoc(), dy[0], getLhs());
  dx.push_back(g.mul(g.sub(p, getRhs()), spread));
  dx.push_back(Value()); // targets are data
  return success();
}

LogicalResult MseOp::buildGradients(OpBuilder &b, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  // 2 (pred - target) / count, and its negation for the target.
  G g = builder(*this, b);
  Value spread = meanGrad(b, getLoc(), dy[0], getLhs());
  Value d = g.mul(g.mul(g.sub(getLhs(), getRhs()), 2.0), spread);
  dx.push_back(d);
  dx.push_back(g.neg(d));
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution, pooling, max
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::buildGradients(OpBuilder &b, ValueRange dy,
                                       SmallVectorImpl<Value> &dx) {
  dx.push_back(b.create<Conv2DInputGradOp>(getLoc(), G::type(getInput()),
                                           dy[0], getFilter(), getStrides(),
                                           getPadding()));
  dx.push_back(b.create<Conv2DFilterGradOp>(getLoc(), G::type(getFilter()),
                                            getInput(), dy[0], getStrides(),
                                            getPadding()));
  return success();
}

LogicalResult MaxPool2DOp::buildGradients(OpBuilder &b, ValueRange dy,
                                          SmallVectorImpl<Value> &dx) {
  dx.push_back(b.create<MaxPool2DGradOp>(getLoc(), G::type(getInput()),
                                         getInput(), getResult(), dy[0],
                                         getWindow(), getStrides(),
                                         getPadding()));
  return success();
}

LogicalResult AvgPool2DOp::buildGradients(OpBuilder &b, ValueRange dy,
                                          SmallVectorImpl<Value> &dx) {
  dx.push_back(b.create<AvgPool2DGradOp>(getLoc(), G::type(getInput()), dy[0],
                                         getWindow(), getStrides(),
                                         getPadding()));
  return success();
}

LogicalResult ReduceMaxOp::buildGradients(OpBuilder &b, ValueRange dy,
                                          SmallVectorImpl<Value> &dx) {
  dx.push_back(b.create<ReduceMaxGradOp>(getLoc(), G::type(getInput()), dy[0],
                                         getInput(), getResult(), getAxes()));
  return success();
}

//===----------------------------------------------------------------------===//
// Embedding and layernorm
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::buildGradients(OpBuilder &b, ValueRange dy,
                                          SmallVectorImpl<Value> &dx) {
  dx.push_back(b.create<EmbeddingGradOp>(getLoc(), G::type(getTable()), dy[0],
                                         getIds()));
  dx.push_back(Value()); // ids
  return success();
}

LogicalResult LayerNormOp::buildGradients(OpBuilder &b, ValueRange dy,
                                          SmallVectorImpl<Value> &dx) {
  // One op for the three (docs/autodiff.md has the formulas): its
  // lowering recomputes the row statistics in two passes and does the
  // rest in one, where a decomposition took a dozen ops and temporaries.
  auto grad = b.create<LayerNormGradOp>(
      getLoc(), TypeRange{getInput().getType(), getGamma().getType(),
                          getBeta().getType()},
      getInput(), getGamma(), dy[0], getEpsAttr());
  dx.append(grad->result_begin(), grad->result_end());
  return success();
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

LogicalResult RecurrentTrainOp::buildGradients(OpBuilder &b, ValueRange dy,
                                               SmallVectorImpl<Value> &dx) {
  // dy[1], the residuals' gradient, is null: nothing reads them but the
  // backward built here.
  auto grad = b.create<RecurrentGradOp>(
      getLoc(), TypeRange{getInput().getType(), getKernel().getType(),
                          getRecurrentKernel().getType(), getBias().getType()},
      dy[0], getInput(), getKernel(), getRecurrentKernel(), getBias(),
      getResiduals(), getCellAttr(), getActivationAttr(),
      getReturnSequencesAttr());
  llvm::append_range(dx, grad.getResults());
  return success();
}
