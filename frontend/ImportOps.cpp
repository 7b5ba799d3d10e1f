//===- ImportOps.cpp - the language's operations as nnc ops ---------------===//
//
// One builder per built-in operation. Each reads its arguments by kind,
// checks them with a message in the language's terms (shapes printed as
// f32[batch, 28, 28], carets on the offending argument), creates the
// parameters it owns, and decomposes the layer into nnc ops.
//
//===----------------------------------------------------------------------===//
#include "frontend/ImportArgs.h"

using namespace mlir;
using namespace nnc;
using llvm::SMLoc;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Pooling, shapes, reductions
//===----------------------------------------------------------------------===//

static SValue importPool(OpBuilderCtx &c, StringRef op) {
  Args &a = c.args;
  SValue x = a.tensor(0);
  auto size = a.pair(1, 2, 1);
  auto stride = a.given(2) ? a.pair(2, 1, 1) : size;
  StringRef padding = a.choice(3, "valid");
  if (a.failed || !checkNHWC(c, op, x.type()))
    return SValue::error();
  RankedTensorType xt = x.type();
  SmallVector<int64_t> pad = windowPadding(padding, xt, size, stride);
  if (!checkWindowFits(c, op, xt, size, stride, pad))
    return SValue::error();
  auto type = shapes::pool2d(c.at, xt, size, stride, pad);
  if (failed(type))
    return SValue::error();
  if (op == "maxpool2d")
    return c.result(
        c.b.create<MaxPool2DOp>(c.at, *type, x.tensor, size, stride, pad));
  return c.result(
      c.b.create<AvgPool2DOp>(c.at, *type, x.tensor, size, stride, pad));
}

static SValue importGlobalAvgPool(OpBuilderCtx &c) {
  SValue x = c.args.tensor(0);
  if (c.args.failed || !checkNHWC(c, "global_avgpool2d", x.type()))
    return SValue::error();
  RankedTensorType xt = x.type();
  auto type = c.tensorType({xt.getDimSize(0), xt.getDimSize(3)},
                           xt.getElementType());
  return c.result(c.b.create<ReduceMeanOp>(c.at, type, x.tensor,
                                           ArrayRef<int64_t>{1, 2}, false));
}

static SValue reshapeTo(OpBuilderCtx &c, SValue x, ArrayRef<int64_t> shape) {
  auto type = c.tensorType(shape, x.type().getElementType());
  return c.result(c.b.create<ReshapeOp>(c.at, type, x.tensor));
}

static SValue importFlatten(OpBuilderCtx &c) {
  SValue x = c.args.tensor(0, /*needFloat=*/false);
  if (c.args.failed)
    return SValue::error();
  RankedTensorType xt = x.type();
  if (xt.getRank() == 0) {
    c.args.error(c.args.locOf(0), "flatten expects [batch, ...], got a scalar");
    return SValue::error();
  }
  int64_t rest = 1;
  for (int64_t d : xt.getShape().drop_front())
    rest *= d;
  return reshapeTo(c, x, {xt.getDimSize(0), rest});
}

static SValue importReshape(OpBuilderCtx &c) {
  Args &a = c.args;
  SValue x = a.tensor(0, /*needFloat=*/false);
  if (a.failed)
    return SValue::error();
  RankedTensorType xt = x.type();
  // `reshape(x, [batch, 784])` gives the whole shape (the batch name first);
  // `reshape(x, [28, 28, 1])` gives the per-sample shape, as in Keras.
  bool fullShape = false;
  SmallVector<int64_t> dims;
  SValue list;
  const ast::Expr *shapeExpr = a.boundExpr(1);
  if (shapeExpr->kind == ast::ExprKind::List) {
    auto *l = static_cast<const ast::ListExpr *>(shapeExpr);
    list.kind = SValue::List;
    list.expr = shapeExpr;
    for (auto [i, e] : llvm::enumerate(l->elements)) {
      if (i == 0 && e->kind == ast::ExprKind::Ident &&
          !c.imp.getBatchName().empty() &&
          static_cast<const ast::IdentExpr *>(e)->name ==
              c.imp.getBatchName()) {
        fullShape = true;
        continue;
      }
      SValue item = c.imp.evaluate(e);
      if (!item.ok())
        return SValue::error();
      list.list.push_back(std::move(item));
    }
  } else {
    list = a.value(1);
    if (!list.ok())
      return SValue::error();
  }
  bool ok = list.kind == SValue::List;
  for (const SValue &d : list.list) {
    ok = ok && d.kind == SValue::Number && d.isInteger &&
         (d.number == -1 || (d.number >= 1 && d.number <= 2147483647.0));
    if (ok)
      dims.push_back((int64_t)d.number);
  }
  if (!ok || llvm::count(dims, -1) > 1) {
    a.error(a.locOf(1), "reshape expects a list of positive sizes with at "
                        "most one -1, got " +
                            describe(list));
    return SValue::error();
  }
  bool batched = hasBatch(xt);
  if (fullShape && !batched) {
    a.error(a.locOf(1), "reshape: the input " + formatType(xt) +
                            " has no batch dimension");
    return SValue::error();
  }
  ArrayRef<int64_t> sample = xt.getShape().drop_front(batched ? 1 : 0);
  int64_t count = 1, known = 1;
  for (int64_t d : sample)
    count *= d;
  for (int64_t d : dims)
    if (d != -1)
      known *= d;
  for (int64_t &d : dims)
    if (d == -1)
      d = known > 0 && count % known == 0 ? count / known : 0;
  int64_t product = 1;
  for (int64_t d : dims)
    product *= d;
  if (product != count || llvm::is_contained(dims, 0)) {
    std::string shown;
    for (int64_t d : dims)
      shown += (shown.empty() ? "" : ", ") + std::to_string(d);
    a.error(a.locOf(1), "reshape cannot arrange the " + llvm::Twine(count) +
                            " elements " + (batched ? "per sample " : "") +
                            "of " + formatType(xt) + " as [" + shown + "]");
    return SValue::error();
  }
  if (batched)
    dims.insert(dims.begin(), ShapedType::kDynamic);
  return reshapeTo(c, x, dims);
}

static SValue importTranspose(OpBuilderCtx &c) {
  Args &a = c.args;
  SValue x = a.tensor(0, /*needFloat=*/false);
  auto perm = a.intList(1);
  if (a.failed || !perm)
    return SValue::error();
  RankedTensorType xt = x.type();
  for (int64_t &p : *perm)
    if (p < 0)
      p += xt.getRank();
  if (hasBatch(xt) && !perm->empty() && (*perm)[0] != 0) {
    a.error(a.locOf(1), "transpose must keep the batch dimension first "
                        "(perm[0] = 0)");
    return SValue::error();
  }
  auto type = shapes::transpose(c.imp.loc(a.locOf(1)), xt, *perm);
  if (failed(type))
    return SValue::error();
  return c.result(c.b.create<TransposeOp>(c.at, *type, x.tensor, *perm));
}

static SValue importConcat(OpBuilderCtx &c) {
  Args &a = c.args;
  std::vector<SValue> inputs = a.variadicTensors();
  if (a.failed)
    return SValue::error();
  int64_t axis = a.axis(0, -1, inputs[0].type().getRank());
  if (a.failed)
    return SValue::error();
  if (axis == 0 && hasBatch(inputs[0].type())) {
    a.error(a.locOf(0), "concat along the batch dimension is not supported");
    return SValue::error();
  }
  SmallVector<Value> values;
  for (const SValue &v : inputs)
    values.push_back(v.tensor);
  auto type = shapes::concat(c.at, ValueRange(values).getTypes(), axis);
  if (failed(type))
    return SValue::error();
  return c.result(c.b.create<ConcatOp>(c.at, *type, values, axis));
}

static SValue importReduce(OpBuilderCtx &c, StringRef op) {
  Args &a = c.args;
  SValue x = a.tensor(0);
  if (a.failed)
    return SValue::error();
  int64_t rank = x.type().getRank();
  SmallVector<int64_t> axes;
  if (a.given(1)) {
    auto list = a.intList(1);
    if (!list)
      return SValue::error();
    for (int64_t ax : *list) {
      if (ax < -rank || ax >= rank) {
        a.error(a.locOf(1), "axis " + llvm::Twine(ax) + " is out of range " +
                                "for " + formatType(x.type()));
        return SValue::error();
      }
      axes.push_back(ax < 0 ? ax + rank : ax);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  bool keepdims = a.boolean(2, false);
  if (a.failed)
    return SValue::error();
  auto type = shapes::reduce(c.imp.loc(a.locOf(1)), x.type(), axes, keepdims);
  if (failed(type))
    return SValue::error();
  Value r;
  if (op == "sum")
    r = c.b.create<ReduceSumOp>(c.at, *type, x.tensor, axes, keepdims);
  else if (op == "mean")
    r = c.b.create<ReduceMeanOp>(c.at, *type, x.tensor, axes, keepdims);
  else
    r = c.b.create<ReduceMaxOp>(c.at, *type, x.tensor, axes, keepdims);
  return c.result(r);
}

//===----------------------------------------------------------------------===//
// Elementwise, softmax, dropout
//===----------------------------------------------------------------------===//

static SValue importUnary(OpBuilderCtx &c, StringRef op) {
  SValue x = c.args.tensor(0);
  double alpha = op == "leaky_relu" ? c.args.real(1, 0.01) : 0;
  if (c.args.failed)
    return SValue::error();
  if (op == "leaky_relu")
    return c.result(c.b.create<LeakyReluOp>(c.at, x.tensor,
                                            c.b.getF64FloatAttr(alpha)));
  return c.result(c.activation(op, x.tensor));
}

static SValue importSoftmax(OpBuilderCtx &c, StringRef op) {
  SValue x = c.args.tensor(0);
  if (c.args.failed)
    return SValue::error();
  int64_t axis = c.args.axis(1, -1, x.type().getRank());
  if (c.args.failed)
    return SValue::error();
  if (op == "softmax")
    return c.result(c.b.create<SoftmaxOp>(c.at, x.tensor, axis));
  return c.result(c.b.create<LogSoftmaxOp>(c.at, x.tensor, axis));
}

static SValue importDropout(OpBuilderCtx &c) {
  SValue x = c.args.tensor(0);
  double rate = c.args.real(1, 0);
  if (c.args.failed)
    return SValue::error();
  if (rate < 0 || rate >= 1) {
    c.args.error(c.args.locOf(1), "dropout rate must be in [0, 1), got " +
                                      formatNumber(rate));
    return SValue::error();
  }
  return c.result(c.b.create<DropoutOp>(c.at, x.tensor,
                                        c.b.getF64FloatAttr(rate),
                                        c.b.getI64IntegerAttr(c.imp.nextDropoutStream())));
}

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

static SValue importLoss(OpBuilderCtx &c, StringRef op) {
  Args &a = c.args;
  SValue lhs = a.tensor(0);
  SValue rhs = a.tensor(1, /*needFloat=*/false);
  if (a.failed)
    return SValue::error();
  RankedTensorType lt = lhs.type(), rt = rhs.type();
  bool intLabels = rt.getElementType().isInteger(32);
  bool classIds = op == "cross_entropy" ||
                  (op == "accuracy" && !(lt.getRank() == 2 &&
                                         lt.getDimSize(1) == 1 && !intLabels));
  if (classIds && !intLabels) {
    a.error(a.locOf(1), op + " expects integer class labels i32[batch], got " +
                            formatType(rt))
            .attachNote()
        << "declare the target as i32[batch]"
        << (op == "cross_entropy"
                ? ", or use binary_cross_entropy / mse for float targets"
                : "");
    return SValue::error();
  }
  if (!classIds && intLabels) {
    a.error(a.locOf(1), op + " expects float targets, got " + formatType(rt));
    return SValue::error();
  }
  auto type = shapes::scalarLoss(c.imp.loc(a.locOf(0)), op, lt, rt);
  if (failed(type))
    return SValue::error();
  Value r;
  if (op == "cross_entropy")
    r = c.b.create<CrossEntropyOp>(c.at, *type, lhs.tensor, rhs.tensor);
  else if (op == "binary_cross_entropy")
    r = c.b.create<BinaryCrossEntropyOp>(c.at, *type, lhs.tensor, rhs.tensor);
  else if (op == "mse")
    r = c.b.create<MseOp>(c.at, *type, lhs.tensor, rhs.tensor);
  else
    r = c.b.create<AccuracyOp>(c.at, *type, lhs.tensor, rhs.tensor);
  return c.result(r);
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

SValue nnc::importBuiltin(Importer &imp, const ast::CallExpr *call,
                          const OpSpec &spec, SValue *piped) {
  std::optional<BoundArgs> bound = bindArgs(call, spec, imp.diag);
  if (!bound)
    return SValue::error();
  Args args(imp, call, spec, std::move(*bound), piped);
  OpBuilderCtx c(imp, args);
  StringRef op = spec.name;
  if (op == "dense")
    return importDense(c);
  if (op == "conv2d")
    return importConv2D(c);
  if (op == "batchnorm" || op == "layernorm")
    return importNormalization(c, op);
  if (op == "normalize")
    return importNormalize(c);
  if (op == "embedding")
    return importEmbedding(c);
  if (op == "rnn" || op == "lstm" || op == "gru")
    return importRecurrent(c, op);
  if (op == "attention")
    return importAttention(c);
  if (op == "maxpool2d" || op == "avgpool2d")
    return importPool(c, op);
  if (op == "global_avgpool2d")
    return importGlobalAvgPool(c);
  if (op == "flatten")
    return importFlatten(c);
  if (op == "reshape")
    return importReshape(c);
  if (op == "transpose")
    return importTranspose(c);
  if (op == "concat")
    return importConcat(c);
  if (op == "sum" || op == "mean" || op == "max")
    return importReduce(c, op);
  if (op == "softmax" || op == "log_softmax")
    return importSoftmax(c, op);
  if (op == "dropout")
    return importDropout(c);
  if (op == "cross_entropy" || op == "binary_cross_entropy" || op == "mse" ||
      op == "accuracy")
    return importLoss(c, op);
  return importUnary(c, op);
}
