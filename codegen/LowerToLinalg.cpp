//===- LowerToLinalg.cpp - nnc ops to linalg on tensors -------------------===//
#include "codegen/LinalgBuilder.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

namespace nnc {
#define GEN_PASS_DEF_LOWERTOLINALG
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;
using utils::IteratorType;

//===----------------------------------------------------------------------===//
// LinalgBuilder
//===----------------------------------------------------------------------===//

Value LinalgBuilder::batch() {
  if (batchSize)
    return batchSize;
  for (Value v : like) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (t && t.getRank() > 0 && t.isDynamicDim(0))
      return batchSize = b.create<tensor::DimOp>(loc, v, 0);
  }
  llvm_unreachable("a dynamic result needs an operand with a batch dim");
}

SmallVector<Value> LinalgBuilder::dynamicSizes(RankedTensorType type) {
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(batch());
  return sizes;
}

SmallVector<OpFoldResult> LinalgBuilder::mixedSizes(RankedTensorType type) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    sizes.push_back(type.isDynamicDim(i)
                        ? OpFoldResult(batch())
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(i))));
  return sizes;
}

Value LinalgBuilder::empty(RankedTensorType type) {
  return b.create<tensor::EmptyOp>(loc, type, dynamicSizes(type));
}

Value LinalgBuilder::scalar(Type element, double value) {
  return b.create<arith::ConstantOp>(loc, b.getFloatAttr(element, value));
}

Value LinalgBuilder::filled(RankedTensorType type, double value) {
  Value init = empty(type);
  return b
      .create<linalg::FillOp>(loc, scalar(type.getElementType(), value), init)
      .getResult(0);
}

AffineMap LinalgBuilder::broadcastMap(RankedTensorType type,
                                      RankedTensorType operand) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = type.getRank() - operand.getRank();
  for (int64_t i = 0; i < operand.getRank(); ++i) {
    bool repeated = operand.getDimSize(i) == 1 &&
                    type.getDimSize(offset + i) != 1;
    exprs.push_back(repeated ? b.getAffineConstantExpr(0)
                             : b.getAffineDimExpr(offset + i));
  }
  return AffineMap::get(type.getRank(), 0, exprs, b.getContext());
}

Value LinalgBuilder::mapped(RankedTensorType type, ValueRange inputs,
                            ArrayRef<AffineMap> inputMaps, BodyFn body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<IteratorType> iterators(type.getRank(), IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(
          loc, type, inputs, ValueRange{empty(type)}, maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            nb.create<linalg::YieldOp>(nl, body(nb, nl, args.drop_back()));
          })
      .getResult(0);
}

Value LinalgBuilder::elementwise(RankedTensorType type, ValueRange inputs,
                                 BodyFn body) {
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(type, cast<RankedTensorType>(in.getType())));
  return mapped(type, inputs, maps, body);
}

RankedTensorType LinalgBuilder::dropDims(RankedTensorType type,
                                         ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (!llvm::is_contained(axes, i))
      shape.push_back(type.getDimSize(i));
  return RankedTensorType::get(shape, type.getElementType());
}

AffineMap LinalgBuilder::dropMap(unsigned rank, ArrayRef<int64_t> axes) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < rank; ++i)
    if (!llvm::is_contained(axes, (int64_t)i))
      exprs.push_back(b.getAffineDimExpr(i));
  return AffineMap::get(rank, 0, exprs, b.getContext());
}

AffineMap LinalgBuilder::reducedMap(RankedTensorType space,
                                    RankedTensorType reduced,
                                    ArrayRef<int64_t> axes) {
  if (reduced.getRank() != space.getRank())
    return dropMap(space.getRank(), axes);
  SmallVector<AffineExpr> exprs; // kept dims of size 1
  for (int64_t i = 0; i < space.getRank(); ++i)
    exprs.push_back(llvm::is_contained(axes, i) ? b.getAffineConstantExpr(0)
                                                : b.getAffineDimExpr(i));
  return AffineMap::get(space.getRank(), 0, exprs, b.getContext());
}

Value LinalgBuilder::reduce(RankedTensorType space, ValueRange inputs,
                            ArrayRef<AffineMap> inputMaps,
                            ArrayRef<int64_t> axes, double init,
                            BodyFn combine) {
  RankedTensorType result = dropDims(space, axes);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(dropMap(space.getRank(), axes));
  SmallVector<IteratorType> iterators;
  for (int64_t i = 0; i < space.getRank(); ++i)
    iterators.push_back(llvm::is_contained(axes, i) ? IteratorType::reduction
                                                    : IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(
          loc, result, inputs, ValueRange{filled(result, init)}, maps,
          iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            nb.create<linalg::YieldOp>(nl, combine(nb, nl, args));
          })
      .getResult(0);
}

Value LinalgBuilder::count(RankedTensorType type, ArrayRef<int64_t> axes,
                           Type element) {
  int64_t known = 1;
  bool dynamic = false;
  for (int64_t a : axes) {
    if (type.isDynamicDim(a))
      dynamic = true;
    else
      known *= type.getDimSize(a);
  }
  if (!dynamic)
    return scalar(element, (double)known);
  Value n = b.create<arith::IndexCastOp>(loc, b.getI64Type(), batch());
  Value f = b.create<arith::SIToFPOp>(loc, element, n);
  return b.create<arith::MulFOp>(loc, f, scalar(element, (double)known));
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Replaces a unary op by an elementwise generic computing `fn(x)`.
template <typename Op>
static LogicalResult lowerUnary(
    Op op, PatternRewriter &rw,
    llvm::function_ref<Value(OpBuilder &, Location, Value)> fn) {
  LinalgBuilder lb(rw, op.getLoc(), op->getOperands());
  rw.replaceOp(op, lb.elementwise(typeOf(op.getResult()), op->getOperands(),
                                  [&](OpBuilder &b, Location l, ValueRange a) {
                                    return fn(b, l, a[0]);
                                  }));
  return success();
}

static void populateElementwise(RewritePatternSet &patterns) {
  patterns.add(+[](ReluOp op, PatternRewriter &rw) {
    return lowerUnary(op, rw, [](OpBuilder &b, Location l, Value x) -> Value {
      return b.create<arith::MaximumFOp>(l, x, cst(b, l, x.getType(), 0));
    });
  });
  patterns.add(+[](SigmoidOp op, PatternRewriter &rw) {
    return lowerUnary(op, rw, [](OpBuilder &b, Location l, Value x) -> Value {
      Type t = x.getType();
      Value e = b.create<math::ExpOp>(l, b.create<arith::NegFOp>(l, x));
      return b.create<arith::DivFOp>(
          l, cst(b, l, t, 1), b.create<arith::AddFOp>(l, cst(b, l, t, 1), e));
    });
  });
  patterns.add(+[](TanhOp op, PatternRewriter &rw) {
    return lowerUnary(op, rw, [](OpBuilder &b, Location l, Value x) -> Value {
      return b.create<math::TanhOp>(l, x);
    });
  });
  patterns.add(+[](GeluOp op, PatternRewriter &rw) {
    // 0.5 x (1 + erf(x / sqrt(2))), the exact form (PyTorch's default).
    return lowerUnary(op, rw, [](OpBuilder &b, Location l, Value x) -> Value {
      Type t = x.getType();
      Value e = b.create<math::ErfOp>(
          l, b.create<arith::MulFOp>(l, x, cst(b, l, t, M_SQRT1_2)));
      Value h = b.create<arith::MulFOp>(l, x, cst(b, l, t, 0.5));
      return b.create<arith::MulFOp>(
          l, h, b.create<arith::AddFOp>(l, cst(b, l, t, 1), e));
    });
  });
  patterns.add(+[](ExpOp op, PatternRewriter &rw) {
    return lowerUnary(op, rw, [](OpBuilder &b, Location l, Value x) -> Value {
      return b.create<math::ExpOp>(l, x);
    });
  });
  patterns.add(+[](LogOp op, PatternRewriter &rw) {
    return lowerUnary(op, rw, [](OpBuilder &b, Location l, Value x) -> Value {
      return b.create<math::LogOp>(l, x);
    });
  });
  patterns.add(+[](SqrtOp op, PatternRewriter &rw) {
    return lowerUnary(op, rw, [](OpBuilder &b, Location l, Value x) -> Value {
      return b.create<math::SqrtOp>(l, x);
    });
  });
  patterns.add(+[](AbsOp op, PatternRewriter &rw) {
    return lowerUnary(op, rw, [](OpBuilder &b, Location l, Value x) -> Value {
      return b.create<math::AbsFOp>(l, x);
    });
  });
  patterns.add(+[](NegOp op, PatternRewriter &rw) {
    return lowerUnary(op, rw, [](OpBuilder &b, Location l, Value x) -> Value {
      return b.create<arith::NegFOp>(l, x);
    });
  });
  patterns.add(+[](LeakyReluOp op, PatternRewriter &rw) {
    double alpha = op.getAlpha().convertToDouble();
    return lowerUnary(op, rw, [&](OpBuilder &b, Location l, Value x) -> Value {
      Value pos = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, x,
                                          cst(b, l, x.getType(), 0));
      Value scaled =
          b.create<arith::MulFOp>(l, x, cst(b, l, x.getType(), alpha));
      return b.create<arith::SelectOp>(l, pos, x, scaled);
    });
  });
}

/// A broadcasting binary op as an elementwise generic.
template <typename Op, typename ArithOp>
static LogicalResult lowerBinary(Op op, PatternRewriter &rw) {
  LinalgBuilder lb(rw, op.getLoc(), op->getOperands());
  rw.replaceOp(op, lb.elementwise(typeOf(op.getResult()), op->getOperands(),
                                  [](OpBuilder &b, Location l, ValueRange a) {
                                    return b.create<ArithOp>(l, a[0], a[1]);
                                  }));
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions, convolution, pooling
//===----------------------------------------------------------------------===//

/// Reassociation that keeps the last `keep` dims and merges the others.
static SmallVector<ReassociationIndices> mergeLeading(int64_t rank,
                                                      int64_t keep) {
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t i = 0; i < rank - keep + 1; ++i)
    groups[0].push_back(i);
  for (int64_t i = rank - keep + 1; i < rank; ++i)
    groups.push_back({i});
  return groups;
}

static RankedTensorType collapsedType(RankedTensorType t, int64_t keep) {
  SmallVector<int64_t> shape;
  int64_t lead = 1;
  bool dynamic = false;
  for (int64_t i = 0; i < t.getRank() - keep + 1; ++i) {
    dynamic |= t.isDynamicDim(i);
    lead *= t.isDynamicDim(i) ? 1 : t.getDimSize(i);
  }
  shape.push_back(dynamic ? ShapedType::kDynamic : lead);
  for (int64_t i = t.getRank() - keep + 1; i < t.getRank(); ++i)
    shape.push_back(t.getDimSize(i));
  return RankedTensorType::get(shape, t.getElementType());
}

static LogicalResult lowerMatmul(MatmulOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value lhs = op.getLhs(), rhs = op.getRhs();
  RankedTensorType lt = typeOf(lhs), rt = typeOf(rhs), out = op.getType();
  LinalgBuilder lb(rw, loc, {lhs});
  if (lt.getRank() == 2 && rt.getRank() == 2) {
    Value init = lb.filled(out, 0);
    rw.replaceOp(op, rw.create<linalg::MatmulOp>(loc, ValueRange{lhs, rhs},
                                                 ValueRange{init})
                         .getResult(0));
    return success();
  }
  if (rt.getRank() == 2) {
    // [..., m, k] @ [k, n]: one matmul over the merged leading dims.
    auto groups = mergeLeading(lt.getRank(), 2);
    Value flat = rw.create<tensor::CollapseShapeOp>(
        loc, collapsedType(lt, 2), lhs, groups);
    RankedTensorType flatOut = collapsedType(out, 2);
    LinalgBuilder fb(rw, loc, {flat});
    Value mm = rw.create<linalg::MatmulOp>(loc, ValueRange{flat, rhs},
                                           ValueRange{fb.filled(flatOut, 0)})
                   .getResult(0);
    rw.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, out, mm, groups);
    return success();
  }
  // Batched on both sides: one batch_matmul over the merged batch dims.
  auto groups = mergeLeading(lt.getRank(), 3);
  Value l3 = lt.getRank() == 3 ? lhs
                               : rw.create<tensor::CollapseShapeOp>(
                                     loc, collapsedType(lt, 3), lhs, groups);
  Value r3 = rt.getRank() == 3 ? rhs
                               : rw.create<tensor::CollapseShapeOp>(
                                     loc, collapsedType(rt, 3), rhs, groups);
  RankedTensorType out3 = out.getRank() == 3 ? out : collapsedType(out, 3);
  LinalgBuilder bb(rw, loc, {l3});
  Value mm = rw.create<linalg::BatchMatmulOp>(loc, ValueRange{l3, r3},
                                              ValueRange{bb.filled(out3, 0)})
                 .getResult(0);
  if (out.getRank() == 3)
    rw.replaceOp(op, mm);
  else
    rw.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, out, mm, groups);
  return success();
}

SmallVector<Value>
nnc::loops(OpBuilder &b, Location loc, Value lb, Value ub, ValueRange accs,
           llvm::function_ref<SmallVector<Value>(OpBuilder &, Value,
                                                 ValueRange)>
               body) {
  return SmallVector<Value>(
      b.create<scf::ForOp>(loc, lb, ub,
                           b.create<arith::ConstantIndexOp>(loc, 1), accs,
                           [&](OpBuilder &nb, Location l, Value iv,
                               ValueRange args) {
                             nb.create<scf::YieldOp>(l, body(nb, iv, args));
                           })
          .getResults());
}

Value nnc::loop(OpBuilder &b, Location loc, Value lb, Value ub, Value acc,
                llvm::function_ref<Value(OpBuilder &, Value, Value)> body) {
  return loops(b, loc, lb, ub, acc,
               [&](OpBuilder &nb, Value iv, ValueRange args) {
                 return SmallVector<Value>{body(nb, iv, args[0])};
               })[0];
}

SmallVector<Value> nnc::chunks(OpBuilder &b, Location loc, int64_t total,
                               int64_t size, ValueRange accs, ChunkFn body) {
  SmallVector<Value> out(accs);
  int64_t whole = total / size, rest = total % size;
  auto c = [&](int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); };
  if (whole == 1)
    out = body(c(0), size, out);
  else if (whole > 1)
    out = loops(b, loc, c(0), c(whole), out,
                [&](OpBuilder &, Value i, ValueRange accs) {
                  return body(b.create<arith::MulIOp>(loc, i, c(size)), size,
                              accs);
                });
  if (rest)
    out = body(c(whole * size), rest, out);
  return out;
}

Value nnc::chunks(OpBuilder &b, Location loc, int64_t total, int64_t size,
                  Value acc,
                  llvm::function_ref<Value(Value, int64_t, Value)> body) {
  return chunks(b, loc, total, size, ValueRange{acc},
                [&](Value start, int64_t width, ValueRange accs) {
                  return SmallVector<Value>{body(start, width, accs[0])};
                })[0];
}

Value nnc::padNHWC(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> pad,
                  double value) {
  if (llvm::all_of(pad, [](int64_t p) { return p == 0; }))
    return x;
  RankedTensorType t = typeOf(x);
  SmallVector<int64_t> shape(t.getShape());
  shape[1] += pad[0] + pad[1];
  shape[2] += pad[2] + pad[3];
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(pad[0]),
                                   b.getIndexAttr(pad[2]), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(pad[1]),
                                    b.getIndexAttr(pad[3]), b.getIndexAttr(0)};
  Value padValue = cst(b, loc, t.getElementType(), value);
  return b.create<tensor::PadOp>(
      loc, RankedTensorType::get(shape, t.getElementType()), x, low, high,
      padValue);
}

DenseIntElementsAttr nnc::i64Vector(OpBuilder &b, ArrayRef<int64_t> v) {
  return DenseIntElementsAttr::get(
      VectorType::get({(int64_t)v.size()}, b.getI64Type()), v);
}

static LogicalResult lowerConv(Conv2DOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  LinalgBuilder lb(rw, loc, {op.getInput()});
  Value x = padNHWC(rw, loc, op.getInput(), op.getPadding(), 0.0);
  Value init = lb.filled(op.getType(), 0);
  rw.replaceOp(op, rw.create<linalg::Conv2DNhwcHwcfOp>(
                         loc, op.getType(), ValueRange{x, op.getFilter()},
                         ValueRange{init}, i64Vector(rw, op.getStrides()),
                         i64Vector(rw, {1, 1}))
                       .getResult(0));
  return success();
}

static LogicalResult lowerMaxPool(MaxPool2DOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  LinalgBuilder lb(rw, loc, {op.getInput()});
  Type el = op.getType().getElementType();
  double lowest = -std::numeric_limits<double>::infinity();
  Value x = padNHWC(rw, loc, op.getInput(), op.getPadding(), lowest);
  Value window = rw.create<tensor::EmptyOp>(loc, op.getWindow(), el);
  rw.replaceOp(op, rw.create<linalg::PoolingNhwcMaxOp>(
                         loc, op.getType(), ValueRange{x, window},
                         ValueRange{lb.filled(op.getType(), lowest)},
                         i64Vector(rw, op.getStrides()), i64Vector(rw, {1, 1}))
                       .getResult(0));
  return success();
}

static LogicalResult lowerAvgPool(AvgPool2DOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  LinalgBuilder lb(rw, loc, {op.getInput()});
  RankedTensorType out = op.getType();
  Type el = out.getElementType();
  ArrayRef<int64_t> pad = op.getPadding(), win = op.getWindow(),
                    stride = op.getStrides();
  Value x = padNHWC(rw, loc, op.getInput(), pad, 0.0);
  Value window = rw.create<tensor::EmptyOp>(loc, win, el);
  Value sum = rw.create<linalg::PoolingNhwcSumOp>(
                    loc, out, ValueRange{x, window},
                    ValueRange{lb.filled(out, 0)}, i64Vector(rw, stride),
                    i64Vector(rw, {1, 1}))
                  .getResult(0);
  rw.replaceOp(op, divideByWindowCounts(lb, sum, typeOf(op.getInput()), win,
                                        stride, pad));
  return success();
}

Value nnc::divideByWindowCounts(LinalgBuilder &lb, Value pooled,
                                RankedTensorType input,
                                ArrayRef<int64_t> win,
                                ArrayRef<int64_t> stride,
                                ArrayRef<int64_t> pad) {
  // The number of real (unpadded) elements under each window.
  OpBuilder &b = lb.b;
  RankedTensorType out = typeOf(pooled);
  Type el = out.getElementType();
  int64_t h = input.getDimSize(1), w = input.getDimSize(2);
  int64_t oh = out.getDimSize(1), ow = out.getDimSize(2);
  SmallVector<double> counts;
  for (int64_t i = 0; i < oh; ++i) {
    for (int64_t j = 0; j < ow; ++j) {
      int64_t r0 = i * stride[0] - pad[0], c0 = j * stride[1] - pad[2];
      int64_t rows = std::min(r0 + win[0], h) - std::max<int64_t>(r0, 0);
      int64_t cols = std::min(c0 + win[1], w) - std::max<int64_t>(c0, 0);
      counts.push_back((double)(rows * cols));
    }
  }
  auto countType = RankedTensorType::get({oh, ow}, el);
  SmallVector<float> countsF(counts.begin(), counts.end());
  Attribute countAttr =
      el.isF32() ? DenseElementsAttr::get(countType, ArrayRef<float>(countsF))
                 : DenseElementsAttr::get(countType, ArrayRef<double>(counts));
  Value countTensor =
      b.create<arith::ConstantOp>(lb.loc, cast<TypedAttr>(countAttr));
  AffineMap id = b.getMultiDimIdentityMap(4);
  AffineMap hw = AffineMap::get(
      4, 0, {b.getAffineDimExpr(1), b.getAffineDimExpr(2)}, b.getContext());
  return lb.mapped(out, {pooled, countTensor}, {id, hw},
                   [](OpBuilder &nb, Location l, ValueRange a) {
                     return nb.create<arith::DivFOp>(l, a[0], a[1]);
                   });
}

//===----------------------------------------------------------------------===//
// Shapes, reductions, normalization, constants
//===----------------------------------------------------------------------===//

/// [?, d1, ..] <-> [?, P] (batched) or [d0, ..] <-> [P]: reshapes go through
/// that canonical form with one collapse and one expand.
static Value toCanonical(OpBuilder &b, Location loc, Value v, bool batched) {
  RankedTensorType t = typeOf(v);
  int64_t lead = batched ? 1 : 0;
  if (t.getRank() == lead + 1)
    return v;
  int64_t p = 1;
  for (int64_t d : t.getShape().drop_front(lead))
    p *= d;
  SmallVector<int64_t> shape;
  if (batched)
    shape.push_back(ShapedType::kDynamic);
  shape.push_back(p);
  auto canonical = RankedTensorType::get(shape, t.getElementType());
  if (batched && t.getRank() == 1) // [?] -> [?, 1]
    return b.create<tensor::ExpandShapeOp>(
        loc, canonical, v, SmallVector<ReassociationIndices>{{0, 1}});
  SmallVector<ReassociationIndices> groups;
  if (batched)
    groups.push_back({0});
  groups.emplace_back();
  for (int64_t i = lead; i < t.getRank(); ++i)
    groups.back().push_back(i);
  return b.create<tensor::CollapseShapeOp>(loc, canonical, v, groups);
}

static LogicalResult lowerReshape(ReshapeOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  RankedTensorType out = op.getType();
  RankedTensorType in = typeOf(op.getInput());
  if (in.getRank() == 0 || out.getRank() == 0) {
    // A scalar and a tensor of one element: no reassociation groups.
    SmallVector<ReassociationIndices> none;
    if (in.getRank() == 0)
      rw.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, out, op.getInput(),
                                                   none);
    else
      rw.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, out, op.getInput(),
                                                     none);
    return success();
  }
  bool batched = out.getRank() > 0 && out.isDynamicDim(0);
  Value c = toCanonical(rw, loc, op.getInput(), batched);
  RankedTensorType ct = typeOf(c);
  int64_t lead = batched ? 1 : 0;
  if (out == ct) {
    rw.replaceOp(op, c);
    return success();
  }
  if (out.getRank() < ct.getRank()) { // [?, 1] -> [?] or [1] -> []
    SmallVector<ReassociationIndices> groups;
    if (out.getRank() == 1)
      groups.push_back({0, 1});
    rw.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, out, c, groups);
    return success();
  }
  SmallVector<ReassociationIndices> groups;
  if (batched)
    groups.push_back({0});
  groups.emplace_back();
  for (int64_t i = lead; i < out.getRank(); ++i)
    groups.back().push_back(i);
  rw.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, out, c, groups);
  return success();
}

static LogicalResult lowerTranspose(TransposeOp op, PatternRewriter &rw) {
  LinalgBuilder lb(rw, op.getLoc(), {op.getInput()});
  rw.replaceOp(op, rw.create<linalg::TransposeOp>(op.getLoc(), op.getInput(),
                                                  lb.empty(op.getType()),
                                                  op.getPerm())
                       ->getResult(0));
  return success();
}

static LogicalResult lowerConcat(ConcatOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  LinalgBuilder lb(rw, loc, op.getInputs());
  RankedTensorType out = op.getType();
  Value result = lb.empty(out);
  int64_t offset = 0, axis = op.getAxis();
  for (Value in : op.getInputs()) {
    RankedTensorType t = typeOf(in);
    SmallVector<OpFoldResult> offsets(out.getRank(), rw.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(out.getRank(), rw.getIndexAttr(1));
    offsets[axis] = rw.getIndexAttr(offset);
    result = rw.create<tensor::InsertSliceOp>(loc, in, result, offsets,
                                              lb.mixedSizes(t), strides);
    offset += t.getDimSize(axis);
  }
  rw.replaceOp(op, result);
  return success();
}

/// sum, mean or max over `axes`, keeping them as size 1 if asked.
template <typename Op>
static LogicalResult lowerReduce(Op op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  RankedTensorType t = typeOf(x);
  Type el = t.getElementType();
  ArrayRef<int64_t> axes = op.getAxes();
  LinalgBuilder lb(rw, loc, {x});
  bool isMax = std::is_same_v<Op, ReduceMaxOp>;
  Value r = lb.reduce(
      t, {x}, {rw.getMultiDimIdentityMap(t.getRank())}, axes,
      isMax ? -std::numeric_limits<double>::infinity() : 0.0,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        if (isMax)
          return b.create<arith::MaximumFOp>(l, a[0], a[1]);
        return b.create<arith::AddFOp>(l, a[0], a[1]);
      });
  if (std::is_same_v<Op, ReduceMeanOp>) {
    Value n = lb.count(t, axes, el);
    RankedTensorType rt = typeOf(r);
    LinalgBuilder rb(rw, loc, {x});
    r = rb.elementwise(rt, {r}, [&](OpBuilder &b, Location l, ValueRange a) {
      return b.create<arith::DivFOp>(l, a[0], n);
    });
  }
  if (op.getKeepdims()) {
    SmallVector<ReassociationIndices> groups;
    RankedTensorType out = op.getType();
    // Each kept dim takes the reduced (size-1) dims that follow it; leading
    // reduced dims join the first kept dim.
    ReassociationIndices pending;
    for (int64_t i = 0; i < out.getRank(); ++i) {
      pending.push_back(i);
      if (!llvm::is_contained(axes, i)) {
        groups.push_back(pending);
        pending.clear();
      }
    }
    // A scalar expands with no groups; else trailing reduced dims join the
    // last kept dim.
    if (!groups.empty())
      llvm::append_range(groups.back(), pending);
    r = rw.create<tensor::ExpandShapeOp>(loc, out, r, groups);
  }
  rw.replaceOp(op, r);
  return success();
}

static LogicalResult lowerBatchNorm(BatchNormOp op, PatternRewriter &rw) {
  // Inference: (x - mean) * gamma / sqrt(var + eps) + beta.
  double eps = op.getEps().convertToDouble();
  LinalgBuilder lb(rw, op.getLoc(), {op.getInput()});
  rw.replaceOp(
      op, lb.elementwise(op.getType(),
                         {op.getInput(), op.getGamma(), op.getBeta(),
                          op.getMean(), op.getVar()},
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Type t = a[0].getType();
                           Value d = b.create<arith::SubFOp>(l, a[0], a[3]);
                           Value v = b.create<arith::AddFOp>(
                               l, a[4], cst(b, l, t, eps));
                           Value s = b.create<arith::DivFOp>(
                               l, a[1], b.create<math::SqrtOp>(l, v));
                           return b.create<arith::AddFOp>(
                               l, b.create<arith::MulFOp>(l, d, s), a[2]);
                         }));
  return success();
}

/// The mean of each row of `x` (over its last dim, `n` elements) and the
/// centered sum of squares, in two passes (layernorm and its gradient).
static std::pair<Value, Value> rowStatistics(LinalgBuilder &lb, Value x,
                                             Value n) {
  RankedTensorType t = typeOf(x);
  int64_t last = t.getRank() - 1;
  AffineMap id = AffineMap::getMultiDimIdentityMap(t.getRank(),
                                                   t.getContext());
  AffineMap rows = lb.dropMap(t.getRank(), {last});
  Value sum = lb.reduce(t, {x}, {id}, {last}, 0.0,
                        [](OpBuilder &b, Location l, ValueRange a) -> Value {
                          return b.create<arith::AddFOp>(l, a[0], a[1]);
                        });
  Value mean = lb.elementwise(typeOf(sum), {sum},
                              [&](OpBuilder &b, Location l, ValueRange a) {
                                return b.create<arith::DivFOp>(l, a[0], n);
                              });
  Value sq = lb.reduce(t, {x, mean}, {id, rows}, {last}, 0.0,
                       [](OpBuilder &b, Location l, ValueRange a) -> Value {
                         Value d = b.create<arith::SubFOp>(l, a[0], a[1]);
                         return b.create<arith::AddFOp>(
                             l, b.create<arith::MulFOp>(l, d, d), a[2]);
                       });
  return {mean, sq};
}

static LogicalResult lowerLayerNorm(LayerNormOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  RankedTensorType t = typeOf(x);
  Type el = t.getElementType();
  int64_t last = t.getRank() - 1;
  LinalgBuilder lb(rw, loc, {x});
  AffineMap id = rw.getMultiDimIdentityMap(t.getRank());
  AffineMap rows = lb.dropMap(t.getRank(), {last});
  Value n = lb.scalar(el, (double)t.getDimSize(last));
  auto [mean, sq] = rowStatistics(lb, x, n);
  double eps = op.getEps().convertToDouble();
  AffineMap feature = AffineMap::get(t.getRank(), 0,
                                     {rw.getAffineDimExpr(last)},
                                     rw.getContext());
  rw.replaceOp(op, lb.mapped(t, {x, mean, sq, op.getGamma(), op.getBeta()},
                             {id, rows, rows, feature, feature},
                             [&](OpBuilder &b, Location l, ValueRange a) {
                               Value var = b.create<arith::DivFOp>(l, a[2], n);
                               Value s = b.create<math::SqrtOp>(
                                   l, b.create<arith::AddFOp>(
                                          l, var, cst(b, l, el, eps)));
                               Value d = b.create<arith::SubFOp>(l, a[0], a[1]);
                               Value y = b.create<arith::MulFOp>(
                                   l, b.create<arith::DivFOp>(l, d, s), a[3]);
                               return b.create<arith::AddFOp>(l, y, a[4]);
                             }));
  return success();
}

/// layernorm_grad: the row statistics again (sum, then the centered sum
/// of squares, as the forward), one pass for the row sums of g = dy gamma
/// and of g (x - mean), one elementwise pass for the input's gradient, and
/// the column sums of dy xhat and dy for gamma and beta.
static LogicalResult lowerLayerNormGrad(LayerNormGradOp op,
                                        PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value x = op.getInput(), gamma = op.getGamma(), dy = op.getGrad();
  RankedTensorType t = typeOf(x);
  Type el = t.getElementType();
  int64_t rank = t.getRank(), last = rank - 1;
  LinalgBuilder lb(rw, loc, {x});
  AffineMap id = rw.getMultiDimIdentityMap(rank);
  AffineMap rows = lb.dropMap(rank, {last});
  AffineMap feature = AffineMap::get(rank, 0, {rw.getAffineDimExpr(last)},
                                     rw.getContext());
  Value n = lb.scalar(el, (double)t.getDimSize(last));
  double eps = op.getEps().convertToDouble();
  using A = arith::AddFOp;
  using S = arith::SubFOp;
  using M = arith::MulFOp;
  using D = arith::DivFOp;
  auto [mean, sq] = rowStatistics(lb, x, n);
  // 1 / sqrt(sq / D + eps), inside the bodies below.
  auto rstdOf = [&](OpBuilder &b, Location l, Value sqv) -> Value {
    Value var = b.create<D>(l, sqv, n);
    return b.create<D>(l, cst(b, l, el, 1.0),
                       b.create<math::SqrtOp>(
                           l, b.create<A>(l, var, cst(b, l, el, eps))));
  };
  RankedTensorType rowType = typeOf(mean);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[last] = utils::IteratorType::reduction;
  auto sums = rw.create<linalg::GenericOp>(
      loc, TypeRange{rowType, rowType}, ValueRange{dy, gamma, x, mean},
      ValueRange{lb.filled(rowType, 0), lb.filled(rowType, 0)},
      ArrayRef<AffineMap>{id, feature, id, rows, rows, rows}, iterators,
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value g = b.create<M>(l, a[0], a[1]);
        Value c = b.create<S>(l, a[2], a[3]);
        b.create<linalg::YieldOp>(
            l, ValueRange{b.create<A>(l, a[4], g),
                          b.create<A>(l, a[5], b.create<M>(l, g, c))});
      });
  Value sg = sums.getResult(0), sgc = sums.getResult(1);
  // dx = (g - sum(g) / D - (x - mean) rstd^2 sum(g (x - mean)) / D) rstd.
  Value dx = lb.mapped(
      t, {x, mean, sq, dy, gamma, sg, sgc},
      {id, rows, rows, id, feature, rows, rows},
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value rstd = rstdOf(b, l, a[2]);
        Value c = b.create<S>(l, a[0], a[1]);
        Value g = b.create<M>(l, a[3], a[4]);
        Value proj = b.create<M>(l, b.create<M>(l, c, b.create<M>(l, rstd, rstd)),
                                 b.create<D>(l, a[6], n));
        Value inner = b.create<S>(l, b.create<S>(l, g, b.create<D>(l, a[5], n)),
                                  proj);
        return b.create<M>(l, inner, rstd);
      });
  SmallVector<int64_t> lead = llvm::to_vector(llvm::seq<int64_t>(0, last));
  Value dgamma = lb.reduce(
      t, {dy, x, mean, sq}, {id, id, rows, rows}, lead, 0.0,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value xhat = b.create<M>(l, b.create<S>(l, a[1], a[2]),
                                 rstdOf(b, l, a[3]));
        return b.create<A>(l, a[4], b.create<M>(l, a[0], xhat));
      });
  Value dbeta = lb.reduce(t, {dy}, {id}, lead, 0.0,
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            return b.create<A>(l, a[0], a[1]);
                          });
  rw.replaceOp(op, ValueRange{dx, dgamma, dbeta});
  return success();
}

static LogicalResult lowerNormalize(NormalizeOp op, PatternRewriter &rw) {
  double eps = op.getEps().convertToDouble();
  LinalgBuilder lb(rw, op.getLoc(), {op.getInput()});
  rw.replaceOp(op, lb.elementwise(
                       op.getType(), {op.getInput(), op.getMean(), op.getVar()},
                       [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                         Type t = a[0].getType();
                         Value v = b.create<arith::MaximumFOp>(
                             l, a[2], cst(b, l, t, eps));
                         return b.create<arith::DivFOp>(
                             l, b.create<arith::SubFOp>(l, a[0], a[1]),
                             b.create<math::SqrtOp>(l, v));
                       }));
  return success();
}

static LogicalResult lowerConstant(ConstantOp op, PatternRewriter &rw) {
  rw.replaceOpWithNewOp<arith::ConstantOp>(op, cast<TypedAttr>(op.getValue()));
  return success();
}

/// The weight gradient of a matmul with a batched lhs and a shared 2-D rhs
/// (`[..., m, k] @ [k, n]`: a dense on a sequence): autodiff builds the sum
/// over the leading dims of `swapLast(lhs) @ dy`, one [k, n] product per
/// index. It is one matmul_transpose_a over the merged rows instead,
/// `lhs[M, k]^T dy[M, n]`, with no [..., k, n] intermediate. Rewritten
/// before the conversion, which would lower the product first.
static void foldSharedWeightGradients(Operation *root) {
  SmallVector<ReduceSumOp> sums;
  root->walk([&](ReduceSumOp sum) { sums.push_back(sum); });
  for (ReduceSumOp sum : sums) {
    auto mm = sum.getInput().getDefiningOp<MatmulOp>();
    if (!mm || !mm->hasOneUse() || sum.getKeepdims())
      continue;
    auto tr = mm.getLhs().getDefiningOp<TransposeOp>();
    int64_t rank = typeOf(mm.getLhs()).getRank();
    if (!tr || rank < 3 || typeOf(mm.getRhs()).getRank() != rank)
      continue;
    SmallVector<int64_t> swap = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(swap[rank - 1], swap[rank - 2]);
    if (tr.getPerm() != ArrayRef<int64_t>(swap) ||
        sum.getAxes() !=
            ArrayRef<int64_t>(llvm::to_vector(llvm::seq<int64_t>(0, rank - 2))))
      continue;
    OpBuilder b(sum);
    Location loc = sum.getLoc();
    auto groups = mergeLeading(rank, 2);
    Value x = tr.getInput(), dy = mm.getRhs();
    Value x2 = b.create<tensor::CollapseShapeOp>(
        loc, collapsedType(typeOf(x), 2), x, groups);
    Value dy2 = b.create<tensor::CollapseShapeOp>(
        loc, collapsedType(typeOf(dy), 2), dy, groups);
    LinalgBuilder lb(b, loc, {x});
    Value dw = b.create<linalg::MatmulTransposeAOp>(
                    loc, ValueRange{x2, dy2},
                    ValueRange{lb.filled(sum.getType(), 0)})
                   .getResult(0);
    sum.replaceAllUsesWith(dw);
    sum.erase();
    mm.erase();
    if (tr->use_empty())
      tr.erase();
  }
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct LowerToLinalg : nnc::impl::LowerToLinalgBase<LowerToLinalg> {
  using LowerToLinalgBase::LowerToLinalgBase;
  void runOnOperation() override {
    foldSharedWeightGradients(getOperation());
    RewritePatternSet patterns(&getContext());
    populateElementwise(patterns);
    patterns.add(lowerBinary<AddOp, arith::AddFOp>);
    patterns.add(lowerBinary<SubOp, arith::SubFOp>);
    patterns.add(lowerBinary<MulOp, arith::MulFOp>);
    patterns.add(lowerBinary<DivOp, arith::DivFOp>);
    patterns.add(lowerMatmul);
    patterns.add(lowerConv);
    patterns.add(lowerMaxPool);
    patterns.add(lowerAvgPool);
    patterns.add(lowerReshape);
    patterns.add(lowerTranspose);
    patterns.add(lowerConcat);
    patterns.add(lowerReduce<ReduceSumOp>);
    patterns.add(lowerReduce<ReduceMeanOp>);
    patterns.add(lowerReduce<ReduceMaxOp>);
    patterns.add(lowerBatchNorm);
    patterns.add(lowerLayerNorm);
    patterns.add(lowerLayerNormGrad);
    patterns.add(lowerNormalize);
    patterns.add(lowerConstant);
    populateLowerLossesPatterns(patterns);
    populateLowerTrainingPatterns(patterns);

    ConversionTarget target(getContext());
    target.addIllegalDialect<NncDialect>();
    // Data-parallel gradients: lowered at bufferization (GradAllreduce.cpp).
    target.addLegalOp<GradAllreduceStartOp, GradAllreduceWaitOp>();
    // Hints of loops that nnc-route-pool-gradients built.
    target.addLegalOp<ParallelWorkOp>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           func::FuncDialect>();
    populateLowerGradientsPatterns(patterns, target, inputGradByTaps);
    populateLowerRecurrentPatterns(patterns, target);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
