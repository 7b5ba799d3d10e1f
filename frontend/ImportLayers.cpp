//===- ImportLayers.cpp - layers that create parameters -------------------===//
//
// dense, conv2d, batchnorm, layernorm, normalize, embedding, the recurrent
// layers and attention (which creates none): each checks
// its input in the language's terms, creates its parameters (named by the
// rule of language.md) and decomposes into nnc ops.
//
//===----------------------------------------------------------------------===//
#include "frontend/ImportArgs.h"

using namespace mlir;
using namespace nnc;
using llvm::SMLoc;
using llvm::StringRef;

/// Padding [top, bottom, left, right] of `same` (TensorFlow's rule: the
/// output is ceil(in / stride), extra padding goes after) or `valid`.
SmallVector<int64_t> nnc::windowPadding(StringRef mode, RankedTensorType x,
                                          std::array<int64_t, 2> window,
                                          std::array<int64_t, 2> stride) {
  SmallVector<int64_t> pad(4, 0);
  if (mode != "same")
    return pad;
  for (int i = 0; i < 2; ++i) {
    int64_t in = x.getDimSize(1 + i);
    int64_t out = (in + stride[i] - 1) / stride[i];
    int64_t total = std::max<int64_t>((out - 1) * stride[i] + window[i] - in, 0);
    pad[2 * i] = total / 2;
    pad[2 * i + 1] = total - total / 2;
  }
  return pad;
}

/// Checks an NHWC input of a windowed op; reports in the op's terms.
bool nnc::checkNHWC(OpBuilderCtx &c, StringRef op, RankedTensorType xt) {
  if (xt.getRank() == 4 && !xt.isDynamicDim(1) && !xt.isDynamicDim(2) &&
      !xt.isDynamicDim(3))
    return true;
  auto d = c.args.error(c.args.locOf(0),
                        op + " expects a 4-D NHWC input [batch, height, "
                             "width, channels], got " +
                            formatType(xt));
  if (xt.getRank() == 3)
    d.attachNote() << "add a channels dimension: declare the input as "
                   << formatType(RankedTensorType::get(
                          {xt.getDimSize(0), xt.getDimSize(1),
                           xt.getDimSize(2), 1},
                          xt.getElementType()))
                   << " or use reshape(x, [" << xt.getDimSize(1) << ", "
                   << xt.getDimSize(2) << ", 1])";
  return false;
}

bool nnc::checkWindowFits(OpBuilderCtx &c, StringRef op, RankedTensorType xt,
                            std::array<int64_t, 2> window,
                            std::array<int64_t, 2> stride,
                            ArrayRef<int64_t> pad) {
  for (int i = 0; i < 2; ++i) {
    if (shapes::windowOutputSize(xt.getDimSize(1 + i), window[i], stride[i],
                                 pad[2 * i], pad[2 * i + 1]) <= 0) {
      c.args.error(c.args.call->loc,
                   op + " window " + llvm::Twine(window[0]) + "x" +
                       llvm::Twine(window[1]) + " does not fit the input " +
                       formatType(xt) + " with padding=valid")
              .attachNote()
          << "use padding=same or a smaller window";
      return false;
    }
  }
  return true;
}

SValue nnc::importDense(OpBuilderCtx &c) {
  Args &a = c.args;
  SValue x = a.tensor(0);
  int64_t units = a.integer(1, 1, 1);
  StringRef act = a.activation(2);
  bool useBias = a.boolean(3, true);
  InitKind init = InitKind::glorot_uniform;
  double scale = 0;
  a.init(4, init, scale);
  StringRef name = a.string(5);
  if (a.failed)
    return SValue::error();
  RankedTensorType xt = x.type();
  // [N, k], or a sequence [N, T, k] step by step (Keras's rule).
  if (xt.getRank() != 2 && xt.getRank() != 3) {
    auto d = a.error(a.locOf(0), "dense expects a 2-D input [batch, "
                                 "features] or a sequence [batch, steps, "
                                 "features], got " +
                                     formatType(xt));
    if (xt.getRank() > 3)
      d.attachNote() << "insert flatten() before dense";
    return SValue::error();
  }
  int64_t k = xt.getShape().back();
  if (ShapedType::isDynamic(k)) {
    a.error(a.locOf(0), "dense needs a fixed number of features, got " +
                            formatType(xt));
    return SValue::error();
  }
  Type el = xt.getElementType();
  c.imp.beginCreatingCall("dense");
  Value w = c.imp.createVariable(a.call, "weight", VariableKind::param,
                                 c.tensorType({k, units}, el), init, scale,
                                 name);
  if (!w)
    return SValue::error();
  Value bias;
  if (useBias &&
      !(bias = c.imp.createVariable(a.call, "bias", VariableKind::param,
                                    c.tensorType({units}, el),
                                    InitKind::zeros, 0, name)))
    return SValue::error();
  SmallVector<int64_t> shape(xt.getShape());
  shape.back() = units;
  Value y = c.b.create<MatmulOp>(c.at, c.tensorType(shape, el), x.tensor, w);
  if (bias)
    y = c.addBias(y, bias);
  return c.result(c.activation(act, y));
}

SValue nnc::importConv2D(OpBuilderCtx &c) {
  Args &a = c.args;
  SValue x = a.tensor(0);
  int64_t filters = a.integer(1, 1, 1);
  auto kernel = a.pair(2, 3, 1);
  auto stride = a.pair(3, 1, 1);
  StringRef padding = a.choice(4, "valid");
  StringRef act = a.activation(5);
  bool useBias = a.boolean(6, true);
  InitKind init = InitKind::glorot_uniform;
  double scale = 0;
  a.init(7, init, scale);
  StringRef name = a.string(8);
  if (a.failed || !checkNHWC(c, "conv2d", x.type()))
    return SValue::error();
  RankedTensorType xt = x.type();
  SmallVector<int64_t> pad = windowPadding(padding, xt, kernel, stride);
  if (!checkWindowFits(c, "conv2d", xt, kernel, stride, pad))
    return SValue::error();
  Type el = xt.getElementType();
  c.imp.beginCreatingCall("conv2d");
  Value w = c.imp.createVariable(
      a.call, "weight", VariableKind::param,
      c.tensorType({kernel[0], kernel[1], xt.getDimSize(3), filters}, el),
      init, scale, name);
  if (!w)
    return SValue::error();
  Value bias;
  if (useBias &&
      !(bias = c.imp.createVariable(a.call, "bias", VariableKind::param,
                                    c.tensorType({filters}, el),
                                    InitKind::zeros, 0, name)))
    return SValue::error();
  auto type = shapes::conv2d(c.at, xt, cast<RankedTensorType>(w.getType()),
                             stride, pad);
  if (failed(type))
    return SValue::error();
  Value y = c.b.create<Conv2DOp>(c.at, *type, x.tensor, w, stride, pad);
  if (bias)
    y = c.addBias(y, bias);
  return c.result(c.activation(act, y));
}

SValue nnc::importNormalization(OpBuilderCtx &c, StringRef op) {
  Args &a = c.args;
  SValue x = a.tensor(0);
  bool isBatch = op == "batchnorm";
  double momentum = isBatch ? a.real(1, 0.99) : 0;
  double eps = a.real(isBatch ? 2 : 1, isBatch ? 0.001 : 1e-5);
  StringRef name = a.string(isBatch ? 3 : 2);
  if (a.failed)
    return SValue::error();
  if (isBatch && (momentum < 0 || momentum > 1)) {
    a.error(a.locOf(1), "momentum must be in [0, 1]");
    return SValue::error();
  }
  if (eps <= 0) {
    a.error(a.locOf(isBatch ? 2 : 1), "eps must be positive");
    return SValue::error();
  }
  RankedTensorType xt = x.type();
  if (xt.getRank() < 2 || xt.isDynamicDim(xt.getRank() - 1)) {
    a.error(a.locOf(0), op + " expects [batch, ..., features], got " +
                            formatType(xt));
    return SValue::error();
  }
  auto ptype = c.tensorType({xt.getShape().back()}, xt.getElementType());
  c.imp.beginCreatingCall(op);
  auto var = [&](StringRef param, VariableKind kind, InitKind init) {
    return c.imp.createVariable(a.call, param, kind, ptype, init, 0, name);
  };
  Value gamma = var("gamma", VariableKind::param, InitKind::ones);
  if (!gamma)
    return SValue::error();
  Value beta = var("beta", VariableKind::param, InitKind::zeros);
  if (!isBatch) {
    if (!beta)
      return SValue::error();
    return c.result(c.b.create<LayerNormOp>(c.at, x.tensor, gamma, beta,
                                            c.b.getF64FloatAttr(eps)));
  }
  Value mean = var("mean", VariableKind::state, InitKind::zeros);
  Value variance = var("var", VariableKind::state, InitKind::ones);
  if (!gamma || !beta || !mean || !variance)
    return SValue::error();
  return c.result(c.b.create<BatchNormOp>(
      c.at, x.tensor, gamma, beta, mean, variance,
      c.b.getF64FloatAttr(momentum), c.b.getF64FloatAttr(eps)));
}

SValue nnc::importNormalize(OpBuilderCtx &c) {
  Args &a = c.args;
  SValue x = a.tensor(0);
  StringRef name = a.string(1);
  if (a.failed)
    return SValue::error();
  if (!x.isInput) {
    a.error(a.locOf(0), "normalize expects an input declared with 'input', "
                        "got a computed value")
            .attachNote()
        << "normalize standardizes data with statistics of the training "
           "split; apply it to the input itself";
    return SValue::error();
  }
  RankedTensorType xt = x.type();
  ArrayRef<int64_t> sample = xt.getShape();
  if (hasBatch(xt))
    sample = sample.drop_front();
  auto stype = c.tensorType(sample, xt.getElementType());
  c.imp.beginCreatingCall("normalize");
  Value mean = c.imp.createVariable(a.call, "mean", VariableKind::state, stype,
                                    InitKind::zeros, 0, name);
  if (!mean)
    return SValue::error();
  Value var = c.imp.createVariable(a.call, "var", VariableKind::state, stype,
                                   InitKind::ones, 0, name);
  if (!var)
    return SValue::error();
  return c.result(c.b.create<NormalizeOp>(c.at, x.tensor, mean, var,
                                          c.b.getF64FloatAttr(1e-7)));
}

SValue nnc::importEmbedding(OpBuilderCtx &c) {
  Args &a = c.args;
  SValue ids = a.tensor(0, /*needFloat=*/false);
  int64_t vocab = a.integer(1, 1, 1);
  int64_t dim = a.integer(2, 1, 1);
  InitKind init = InitKind::uniform;
  double scale = 0.05;
  a.init(3, init, scale);
  StringRef name = a.string(4);
  Type el = a.choice(5, "f32") == "f64" ? Type(c.b.getF64Type())
                                        : Type(c.b.getF32Type());
  if (a.failed)
    return SValue::error();
  if (!ids.type().getElementType().isInteger(32)) {
    a.error(a.locOf(0), "embedding expects integer ids i32[batch, ...], got " +
                            formatType(ids.type()));
    return SValue::error();
  }
  c.imp.beginCreatingCall("embedding");
  Value table = c.imp.createVariable(
      a.call, "weight", VariableKind::param,
      c.tensorType({vocab, dim}, el), init, scale, name);
  if (!table)
    return SValue::error();
  auto type = shapes::embedding(c.at, cast<RankedTensorType>(table.getType()),
                                ids.type());
  return c.result(c.b.create<EmbeddingOp>(c.at, *type, table, ids.tensor));
}


SValue nnc::importRecurrent(OpBuilderCtx &c, StringRef op) {
  Args &a = c.args;
  bool isRnn = op == "rnn";
  SValue x = a.tensor(0);
  int64_t units = a.integer(1, 1, 1);
  StringRef act = isRnn ? a.activation(2) : "tanh";
  if (isRnn && !a.given(2))
    act = "tanh";
  bool sequences = a.boolean(isRnn ? 3 : 2, false);
  StringRef name = a.string(isRnn ? 4 : 3);
  if (a.failed)
    return SValue::error();
  if (isRnn && !llvm::is_contained({"tanh", "sigmoid", "relu", "none"}, act)) {
    a.error(a.locOf(2), "rnn supports activation tanh, sigmoid, relu or none, "
                        "got " + act);
    return SValue::error();
  }
  RankedTensorType xt = x.type();
  if (xt.getRank() != 3 || xt.isDynamicDim(1) || xt.isDynamicDim(2)) {
    auto d = a.error(a.locOf(0), op + " expects a 3-D input [batch, steps, "
                                      "features], got " + formatType(xt));
    if (xt.getRank() == 2 && !xt.isDynamicDim(1))
      d.attachNote() << "a sequence of " << xt.getDimSize(1)
                     << " steps of one feature is reshape(x, ["
                     << xt.getDimSize(1) << ", 1])";
    return SValue::error();
  }
  int64_t gates = shapes::recurrentGates(op);
  int64_t features = xt.getDimSize(2);
  Type el = xt.getElementType();
  c.imp.beginCreatingCall(op);
  Value kernel = c.imp.createVariable(
      a.call, "kernel", VariableKind::param,
      c.tensorType({features, gates * units}, el), InitKind::glorot_uniform,
      0, name);
  if (!kernel)
    return SValue::error();
  Value recurrent = c.imp.createVariable(
      a.call, "recurrent_kernel", VariableKind::param,
      c.tensorType({units, gates * units}, el), InitKind::orthogonal, 0, name);
  if (!recurrent)
    return SValue::error();
  Value bias = c.imp.createVariable(
      a.call, "bias", VariableKind::param,
      op == "gru" ? c.tensorType({2, gates * units}, el)
                  : c.tensorType({gates * units}, el),
      op == "lstm" ? InitKind::unit_forget_bias : InitKind::zeros, 0, name);
  if (!bias)
    return SValue::error();
  auto type = shapes::recurrent(c.at, op, xt,
                                cast<RankedTensorType>(kernel.getType()),
                                cast<RankedTensorType>(recurrent.getType()),
                                cast<RankedTensorType>(bias.getType()),
                                sequences);
  if (failed(type))
    return SValue::error();
  return c.result(c.b.create<RecurrentOp>(
      c.at, *type, x.tensor, kernel, recurrent, bias, c.b.getStringAttr(op),
      c.b.getStringAttr(act), c.b.getBoolAttr(sequences)));
}

/// attention(q, k, v, heads, causal): scaled dot-product attention decomposed
/// into differentiable ops, per head h of width e = d / heads:
///   [N,T,d] -reshape-> [N,T,heads,e] -transpose-> [N,heads,T,e],
///   s = (q kᵀ) / sqrt(e) (+ a -1e9 mask above the diagonal if causal),
///   y = softmax(s) v, and back to [N,Tq,d].
/// With one head the reshapes and transposes but kᵀ are left out.
SValue nnc::importAttention(OpBuilderCtx &c) {
  Args &a = c.args;
  SValue q = a.tensor(0), k = a.tensor(1), v = a.tensor(2);
  int64_t heads = a.integer(3, 1, 1);
  bool causal = a.boolean(4, false);
  if (a.failed)
    return SValue::error();
  const char *roles[] = {"q", "k", "v"};
  SValue *inputs[] = {&q, &k, &v};
  for (int i = 0; i < 3; ++i) {
    RankedTensorType t = inputs[i]->type();
    if (t.getRank() != 3 || t.isDynamicDim(1) || t.isDynamicDim(2)) {
      a.error(a.locOf(i), std::string("attention expects ") + roles[i] +
                              " as a sequence [batch, steps, features], got " +
                              formatType(t));
      return SValue::error();
    }
  }
  RankedTensorType qt = q.type(), kt = k.type(), vt = v.type();
  int64_t d = qt.getDimSize(2), tq = qt.getDimSize(1), tk = kt.getDimSize(1);
  auto mismatch = [&](size_t i, const std::string &what) {
    a.error(a.locOf(i), "attention needs " + what + ": q is " +
                            formatType(qt) + ", k is " + formatType(kt) +
                            ", v is " + formatType(vt));
    return SValue::error();
  };
  if (kt.getElementType() != qt.getElementType() ||
      vt.getElementType() != qt.getElementType())
    return mismatch(kt.getElementType() != qt.getElementType() ? 1 : 2,
                    "q, k and v of one element type");
  if (kt.getDimSize(0) != qt.getDimSize(0) ||
      vt.getDimSize(0) != qt.getDimSize(0))
    return mismatch(kt.getDimSize(0) != qt.getDimSize(0) ? 1 : 2,
                    "q, k and v with the same batch");
  if (kt.getDimSize(2) != d || vt.getDimSize(2) != d)
    return mismatch(kt.getDimSize(2) != d ? 1 : 2,
                    "q, k and v with the same number of features");
  if (vt.getDimSize(1) != tk)
    return mismatch(2, "k and v with the same number of steps");
  if (d % heads != 0) {
    a.error(a.locOf(3), "attention's heads must divide the features: " +
                            std::to_string(heads) + " heads for " +
                            std::to_string(d) + " features");
    return SValue::error();
  }
  if (causal && tq != tk) {
    a.error(a.locOf(4), "causal attention needs as many query steps as key "
                        "steps, got " + std::to_string(tq) + " and " +
                        std::to_string(tk));
    return SValue::error();
  }
  Type el = qt.getElementType();
  int64_t n = qt.getDimSize(0), e = d / heads;
  OpBuilder &b = c.b;
  Location at = c.at;
  auto reshape = [&](Value x, ArrayRef<int64_t> shape) -> Value {
    return b.create<ReshapeOp>(at, c.tensorType(shape, el), x);
  };
  auto transpose = [&](Value x, ArrayRef<int64_t> perm) -> Value {
    auto type = shapes::transpose(at, cast<RankedTensorType>(x.getType()), perm);
    return b.create<TransposeOp>(at, *type, x, perm);
  };
  auto matmul = [&](Value l, Value r) -> Value {
    auto type = shapes::matmul(at, cast<RankedTensorType>(l.getType()),
                               cast<RankedTensorType>(r.getType()));
    return b.create<MatmulOp>(at, *type, l, r);
  };
  // Per-head views: q, v [N, heads, T, e]; k already transposed, [N, heads, e, Tk].
  Value qh = q.tensor, kh, vh = v.tensor;
  if (heads == 1) {
    kh = transpose(k.tensor, {0, 2, 1});
  } else {
    qh = transpose(reshape(q.tensor, {n, tq, heads, e}), {0, 2, 1, 3});
    kh = transpose(reshape(k.tensor, {n, tk, heads, e}), {0, 2, 3, 1});
    vh = transpose(reshape(v.tensor, {n, tk, heads, e}), {0, 2, 1, 3});
  }
  Value scores = matmul(qh, kh);
  auto st = cast<RankedTensorType>(scores.getType());
  scores = b.create<MulOp>(at, st, scores,
                           c.imp.constant(1.0 / std::sqrt((double)e), el,
                                          a.locOf(0)));
  if (causal) {
    // Key steps after the query step get -1e9: exp() of it is exactly zero,
    // and unlike -inf it cannot make a NaN in any fused expression.
    auto maskType = c.tensorType({tq, tk}, el);
    SmallVector<Attribute> mask;
    mask.reserve(tq * tk);
    for (int64_t i = 0; i < tq; ++i)
      for (int64_t j = 0; j < tk; ++j)
        mask.push_back(b.getFloatAttr(el, j > i ? -1e9 : 0.0));
    Value m = b.create<ConstantOp>(
        at, cast<ElementsAttr>(DenseElementsAttr::get(maskType, mask)));
    scores = b.create<AddOp>(at, st, scores, m);
  }
  Value p = b.create<SoftmaxOp>(at, scores, st.getRank() - 1);
  Value y = matmul(p, vh);
  if (heads != 1)
    y = reshape(transpose(y, {0, 2, 1, 3}), {n, tq, d});
  return c.result(y);
}
