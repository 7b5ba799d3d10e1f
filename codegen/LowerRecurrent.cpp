//===- LowerRecurrent.cpp - recurrent layers to a loop over time ----------===//
//
// recurrent, recurrent_train and recurrent_grad to linalg on tensors, the
// way oneDNN and PyTorch's CPU path compute them (see docs/recurrent.md):
//
//   forward:  XW = X K over all N*T rows (one matmul); then a loop over t:
//             HR = h_{t-1} U (one matmul), the gate math in one
//             elementwise generic, the step's state and residuals written
//             into [N, T, .] tensors carried by the loop.
//   backward: a reverse loop over t: the gate gradients dA_t from dh and the
//             residuals (one generic), dh_{t-1} = dA_t U^T (one matmul);
//             then dK = X^T dA, dU = H_{t-1}^T dA, db = sum dA and
//             dX = dA K^T over all N*T rows (one matmul each).
//
// The IR does not grow with T. Residual slots per step, [H] wide each:
// rnn h; lstm i f c~ o c h; gru z r h~ (U_h h_{t-1} + b_rh) h. The state h
// is always the last slot.
//
//===----------------------------------------------------------------------===//
#include "codegen/LinalgBuilder.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace nnc;
using utils::IteratorType;

namespace {
using PointwiseFn = llvm::function_ref<SmallVector<Value>(
    OpBuilder &, Location, ValueRange)>;

/// Builds the IR of one recurrent layer.
struct Recurrent {
  OpBuilder &b;
  Location loc;
  StringRef cell, act;
  int64_t T, F, H, G, S;
  Type el;
  Value n; // the batch size

  Recurrent(OpBuilder &b, Location loc, StringRef cell, StringRef act,
            Value input, Value recurrentKernel)
      : b(b), loc(loc), cell(cell), act(act) {
    RankedTensorType x = typeOf(input);
    T = x.getDimSize(1);
    F = x.getDimSize(2);
    H = typeOf(recurrentKernel).getDimSize(0);
    G = shapes::recurrentGates(cell);
    S = shapes::recurrentSlots(cell);
    el = x.getElementType();
    n = b.create<tensor::DimOp>(loc, input, 0);
  }

  Value index(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value rows() { return b.create<arith::MulIOp>(loc, n, index(T)); }
  Value c(double v) { return cst(b, loc, el, v); }

  RankedTensorType matrix(int64_t cols) {
    return RankedTensorType::get({ShapedType::kDynamic, cols}, el);
  }
  RankedTensorType sequence(int64_t cols) {
    return RankedTensorType::get({ShapedType::kDynamic, T, cols}, el);
  }
  Value empty(RankedTensorType t, Value dynamic) {
    return b.create<tensor::EmptyOp>(loc, t, dynamic ? ValueRange{dynamic}
                                                     : ValueRange{});
  }
  Value zeros(Value init) {
    return b.create<linalg::FillOp>(loc, c(0), init).getResult(0);
  }
  /// [N, cols] zeros (or [rows, cols] with `rows`).
  Value zeroMatrix(int64_t cols, Value r = {}) {
    return zeros(empty(matrix(cols), r ? r : n));
  }
  Value zeroStatic(int64_t rows, int64_t cols) {
    return zeros(empty(RankedTensorType::get({rows, cols}, el), {}));
  }

  /// Columns [col, col + w) of step t of a [N, T, C] tensor, as [N, w].
  Value step(Value seq, Value t, int64_t col, int64_t w) {
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), t,
                                      b.getIndexAttr(col)};
    SmallVector<OpFoldResult> sizes{n, b.getIndexAttr(1), b.getIndexAttr(w)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return b.create<tensor::ExtractSliceOp>(loc, matrix(w), seq, offsets,
                                            sizes, strides);
  }
  /// `v` [N, w] into columns [col, col + w) of step t of `seq`.
  Value putStep(Value v, Value seq, Value t, int64_t col) {
    int64_t w = typeOf(v).getDimSize(1);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), t,
                                      b.getIndexAttr(col)};
    SmallVector<OpFoldResult> sizes{n, b.getIndexAttr(1), b.getIndexAttr(w)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return b.create<tensor::InsertSliceOp>(loc, v, seq, offsets, sizes,
                                           strides);
  }
  /// Columns [col, col + w) of a [N, C] tensor.
  Value columns(Value m, int64_t col, int64_t w) {
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(col)};
    SmallVector<OpFoldResult> sizes{n, b.getIndexAttr(w)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    return b.create<tensor::ExtractSliceOp>(loc, matrix(w), m, offsets, sizes,
                                            strides);
  }
  /// `v` [N, w] into columns [col, col + w) of `m`.
  Value putColumns(Value v, Value m, int64_t col) {
    int64_t w = typeOf(v).getDimSize(1);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(col)};
    SmallVector<OpFoldResult> sizes{n, b.getIndexAttr(w)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    return b.create<tensor::InsertSliceOp>(loc, v, m, offsets, sizes, strides);
  }
  /// Gate k's [H] of a bias [G*H] (row `row` of a gru's [2, G*H]).
  Value biasOf(Value bias, int64_t row, int64_t k) {
    RankedTensorType t = typeOf(bias);
    auto out = RankedTensorType::get({H}, el);
    if (t.getRank() == 1)
      return b.create<tensor::ExtractSliceOp>(
          loc, out, bias, ArrayRef<OpFoldResult>{b.getIndexAttr(k * H)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(H)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(row),
                                      b.getIndexAttr(k * H)};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(H)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    return b.create<tensor::ExtractSliceOp>(loc, out, bias, offsets, sizes,
                                            strides);
  }

  /// [N, T, C] <-> [N * T, C].
  Value flat(Value seq) {
    RankedTensorType t = typeOf(seq);
    return b.create<tensor::CollapseShapeOp>(
        loc, matrix(t.getDimSize(2)), seq,
        SmallVector<ReassociationIndices>{{0, 1}, {2}});
  }
  Value unflat(Value m) {
    return b.create<tensor::ExpandShapeOp>(
        loc, sequence(typeOf(m).getDimSize(1)), m,
        SmallVector<ReassociationIndices>{{0, 1}, {2}});
  }

  Value matmul(Value l, Value r, Value init) {
    return b.create<linalg::MatmulOp>(loc, ValueRange{l, r}, ValueRange{init})
        .getResult(0);
  }
  /// l r^T, as nnc-tile-and-vectorize expects it: a matmul whose rhs is a
  /// linalg.transpose (folded into its tiles).
  Value matmulRT(Value l, Value r, Value init) {
    RankedTensorType t = typeOf(r);
    Value rt = b.create<linalg::TransposeOp>(
                    loc, r,
                    empty(RankedTensorType::get(
                              {t.getDimSize(1), t.getDimSize(0)}, el),
                          {}),
                    ArrayRef<int64_t>{1, 0})
                   .getResult()[0];
    return matmul(l, rt, init);
  }
  /// r^T copied once (a generic, which no pass folds into a matmul): the
  /// backward loop's rhs, read every step.
  Value transposed(Value r) {
    RankedTensorType t = typeOf(r);
    auto out = RankedTensorType::get({t.getDimSize(1), t.getDimSize(0)}, el);
    MLIRContext *ctx = b.getContext();
    AffineMap swap = AffineMap::get(
        2, 0, {b.getAffineDimExpr(1), b.getAffineDimExpr(0)}, ctx);
    return b
        .create<linalg::GenericOp>(
            loc, TypeRange{out}, ValueRange{r}, ValueRange{empty(out, {})},
            ArrayRef<AffineMap>{swap, b.getMultiDimIdentityMap(2)},
            SmallVector<IteratorType>(2, IteratorType::parallel),
            [](OpBuilder &nb, Location nl, ValueRange a) {
              nb.create<linalg::YieldOp>(nl, a[0]);
            })
        .getResult(0);
  }
  /// l^T r.
  Value matmulLT(Value l, Value r, Value init) {
    return b
        .create<linalg::MatmulTransposeAOp>(loc, ValueRange{l, r},
                                            ValueRange{init})
        .getResult(0);
  }

  /// One elementwise generic over [N, H]: inputs [N, H] or [H] (a bias,
  /// repeated over N), `outputs` results [N, H].
  SmallVector<Value> pointwise(ValueRange inputs, unsigned outputs,
                               PointwiseFn body) {
    MLIRContext *ctx = b.getContext();
    AffineMap identity = b.getMultiDimIdentityMap(2);
    AffineMap row = AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, ctx);
    SmallVector<AffineMap> maps;
    for (Value in : inputs)
      maps.push_back(typeOf(in).getRank() == 1 ? row : identity);
    SmallVector<Value> inits;
    SmallVector<Type> types;
    for (unsigned i = 0; i < outputs; ++i) {
      inits.push_back(empty(matrix(H), n));
      types.push_back(matrix(H));
      maps.push_back(identity);
    }
    auto generic = b.create<linalg::GenericOp>(
        loc, types, inputs, inits, maps,
        SmallVector<IteratorType>(2, IteratorType::parallel),
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          nb.create<linalg::YieldOp>(
              nl, body(nb, nl, args.take_front(inputs.size())));
        });
    return SmallVector<Value>(generic.getResults());
  }

  SmallVector<Value> forward(Value x, Value kernel, Value recurrentKernel,
                             Value bias, bool sequences, bool train);
  SmallVector<Value> backward(Value grad, Value x, Value kernel,
                              Value recurrentKernel, Value bias,
                              Value residuals, bool sequences,
                              bool needInputGrad);
};

/// Scalar math of the gate bodies.
struct Scalar {
  OpBuilder &b;
  Location l;
  Value add(Value x, Value y) { return b.create<arith::AddFOp>(l, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubFOp>(l, x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulFOp>(l, x, y); }
  Value c(Value like, double v) { return cst(b, l, like.getType(), v); }
  Value tanh(Value x) { return b.create<math::TanhOp>(l, x); }
  Value sigmoid(Value x) {
    Value e = b.create<math::ExpOp>(l, b.create<arith::NegFOp>(l, x));
    return b.create<arith::DivFOp>(l, c(x, 1), add(c(x, 1), e));
  }
  /// 1 - x * x: tanh's derivative from its result.
  Value oneMinusSquare(Value x) { return sub(c(x, 1), mul(x, x)); }
  /// x (1 - x): sigmoid's derivative from its result.
  Value sigmoidGrad(Value x) { return mul(x, sub(c(x, 1), x)); }
  Value activation(StringRef act, Value x) {
    if (act == "tanh")
      return tanh(x);
    if (act == "sigmoid")
      return sigmoid(x);
    if (act == "relu")
      return b.create<arith::MaximumFOp>(l, x, c(x, 0));
    return x; // none
  }
  /// The activation's derivative from its result y.
  Value activationGrad(StringRef act, Value y) {
    if (act == "tanh")
      return oneMinusSquare(y);
    if (act == "sigmoid")
      return sigmoidGrad(y);
    if (act == "relu") {
      Value positive =
          b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, y, c(y, 0));
      return b.create<arith::SelectOp>(l, positive, c(y, 1), c(y, 0));
    }
    return c(y, 1);
  }
};
} // namespace

SmallVector<Value> Recurrent::forward(Value x, Value kernel,
                                      Value recurrentKernel, Value bias,
                                      bool sequences, bool train) {
  bool lstm = cell == "lstm", gru = cell == "gru";
  // The input's share of every step at once.
  Value xw = unflat(matmul(flat(x), kernel, zeroMatrix(G * H, rows())));
  SmallVector<Value> inits{zeroMatrix(H)};
  if (lstm)
    inits.push_back(zeroMatrix(H));
  int64_t ysAt = inits.size();
  if (sequences)
    inits.push_back(empty(sequence(H), n));
  int64_t resAt = inits.size();
  if (train)
    inits.push_back(empty(sequence(S * H), n));
  // The biases, sliced once per gate.
  SmallVector<Value> inBias, recBias;
  for (int64_t k = 0; k < G; ++k) {
    inBias.push_back(biasOf(bias, 0, k));
    if (gru)
      recBias.push_back(biasOf(bias, 1, k));
  }

  auto loop = b.create<scf::ForOp>(
      loc, index(0), index(T), index(1), inits,
      [&](OpBuilder &, Location, Value t, ValueRange args) {
        Value h = args[0];
        Value xwt = step(xw, t, 0, G * H);
        Value hr = matmul(h, recurrentKernel, zeroMatrix(G * H));
        SmallVector<Value> in;
        for (int64_t k = 0; k < G; ++k)
          in.push_back(columns(xwt, k * H, H));
        for (int64_t k = 0; k < G; ++k)
          in.push_back(columns(hr, k * H, H));
        llvm::append_range(in, inBias);
        llvm::append_range(in, recBias);
        in.push_back(h);
        if (lstm)
          in.push_back(args[1]);
        // Outputs: the residual slots (h last); inference keeps h (and c).
        unsigned outputs = train ? S : lstm ? 2 : 1;
        SmallVector<Value> out = pointwise(
            in, outputs,
            [&](OpBuilder &nb, Location nl, ValueRange a) -> SmallVector<Value> {
              Scalar s{nb, nl};
              auto xg = [&](int64_t k) { return a[k]; };
              auto hg = [&](int64_t k) { return a[G + k]; };
              auto bi = [&](int64_t k) { return a[2 * G + k]; };
              auto br = [&](int64_t k) { return a[3 * G + k]; };
              Value hPrev = a[(gru ? 4 : 3) * G];
              auto pre = [&](int64_t k) {
                return s.add(s.add(xg(k), hg(k)), bi(k));
              };
              if (cell == "rnn")
                return {s.activation(act, pre(0))};
              if (lstm) {
                Value cPrev = a[3 * G + 1];
                Value i = s.sigmoid(pre(0)), f = s.sigmoid(pre(1));
                Value g = s.tanh(pre(2)), o = s.sigmoid(pre(3));
                Value cNew = s.add(s.mul(f, cPrev), s.mul(i, g));
                Value hNew = s.mul(o, s.tanh(cNew));
                if (outputs == 2)
                  return {cNew, hNew};
                return {i, f, g, o, cNew, hNew};
              }
              // gru, reset after: h~ = tanh(x_h + b_ih + r (h U_h + b_rh)).
              Value z = s.sigmoid(s.add(pre(0), br(0)));
              Value r = s.sigmoid(s.add(pre(1), br(1)));
              Value hh = s.add(hg(2), br(2));
              Value cand = s.tanh(s.add(s.add(xg(2), bi(2)), s.mul(r, hh)));
              // h = z h_{t-1} + (1 - z) h~ = h~ + z (h_{t-1} - h~)
              Value hNew = s.add(cand, s.mul(z, s.sub(hPrev, cand)));
              if (outputs == 1)
                return {hNew};
              return {z, r, cand, hh, hNew};
            });
        SmallVector<Value> next{out.back()};
        if (lstm)
          next.push_back(out[out.size() - 2]);
        if (sequences)
          next.push_back(putStep(out.back(), args[ysAt], t, 0));
        if (train) {
          Value res = args[resAt];
          for (auto [k, slot] : llvm::enumerate(out))
            res = putStep(slot, res, t, k * H);
          next.push_back(res);
        }
        b.create<scf::YieldOp>(loc, next);
      });
  SmallVector<Value> results{sequences ? loop.getResult(ysAt)
                                       : loop.getResult(0)};
  if (train)
    results.push_back(loop.getResult(resAt));
  return results;
}

SmallVector<Value> Recurrent::backward(Value grad, Value x, Value kernel,
                                       Value recurrentKernel, Value bias,
                                       Value residuals, bool sequences,
                                       bool needInputGrad) {
  bool lstm = cell == "lstm", gru = cell == "gru";
  // h_{t-1} (and c_{t-1}) of every step: the residuals' slot shifted by one
  // step, zero at t = 0.
  auto previous = [&](int64_t slot) -> Value {
    Value prev = zeros(empty(sequence(H), n));
    if (T == 1)
      return prev;
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    Value shifted = b.create<tensor::ExtractSliceOp>(
        loc, RankedTensorType::get({ShapedType::kDynamic, T - 1, H}, el),
        residuals,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0),
                               b.getIndexAttr(slot * H)},
        ArrayRef<OpFoldResult>{n, b.getIndexAttr(T - 1), b.getIndexAttr(H)},
        strides);
    return b.create<tensor::InsertSliceOp>(
               loc, shifted, prev,
               ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(1),
                                      b.getIndexAttr(0)},
               ArrayRef<OpFoldResult>{n, b.getIndexAttr(T - 1),
                                      b.getIndexAttr(H)},
               strides)
        .getResult();
  };
  Value hPrevSeq = previous(S - 1);
  Value recurrentT = transposed(recurrentKernel);
  Value cPrevSeq = lstm ? previous(4) : Value();

  SmallVector<Value> inits{sequences ? zeroMatrix(H) : grad};
  if (lstm)
    inits.push_back(zeroMatrix(H));
  int64_t dxwAt = inits.size();
  inits.push_back(empty(sequence(G * H), n));
  if (gru)
    inits.push_back(empty(sequence(G * H), n));

  auto loop = b.create<scf::ForOp>(
      loc, index(0), index(T), index(1), inits,
      [&](OpBuilder &, Location, Value k, ValueRange args) {
        Value t = b.create<arith::SubIOp>(loc, index(T - 1), k);
        SmallVector<Value> in{args[0]};
        in.push_back(sequences ? step(grad, t, 0, H) : args[0]);
        for (int64_t s = 0; s < S; ++s)
          in.push_back(step(residuals, t, s * H, H));
        if (lstm) {
          in.push_back(args[1]);
          in.push_back(step(cPrevSeq, t, 0, H));
        }
        if (gru)
          in.push_back(step(hPrevSeq, t, 0, H));
        unsigned outputs = lstm ? 5 : gru ? 5 : 1;
        SmallVector<Value> out = pointwise(
            in, outputs,
            [&](OpBuilder &nb, Location nl, ValueRange a) -> SmallVector<Value> {
              Scalar s{nb, nl};
              // The state's gradient: from the next step, plus this step's
              // output gradient when every step is an output.
              Value dh = sequences ? s.add(a[0], a[1]) : a[0];
              auto slot = [&](int64_t i) { return a[2 + i]; };
              if (cell == "rnn")
                return {s.mul(dh, s.activationGrad(act, slot(0)))};
              if (lstm) {
                Value i = slot(0), f = slot(1), g = slot(2), o = slot(3);
                Value cNew = slot(4);
                Value dcNext = a[2 + S], cPrev = a[3 + S];
                Value tc = s.tanh(cNew);
                Value dc = s.add(dcNext, s.mul(s.mul(dh, o),
                                               s.oneMinusSquare(tc)));
                return {s.mul(s.mul(dc, g), s.sigmoidGrad(i)),
                        s.mul(s.mul(dc, cPrev), s.sigmoidGrad(f)),
                        s.mul(s.mul(dc, i), s.oneMinusSquare(g)),
                        s.mul(s.mul(dh, tc), s.sigmoidGrad(o)),
                        s.mul(dc, f)};
              }
              Value z = slot(0), r = slot(1), cand = slot(2), hh = slot(3);
              Value hPrev = a[2 + S];
              Value dCand = s.mul(s.mul(dh, s.sub(s.c(dh, 1), z)),
                                  s.oneMinusSquare(cand));
              Value dz = s.mul(s.mul(dh, s.sub(hPrev, cand)), s.sigmoidGrad(z));
              Value dr = s.mul(s.mul(dCand, hh), s.sigmoidGrad(r));
              return {dz, dr, dCand, s.mul(dCand, r), s.mul(dh, z)};
            });
        // The step's gate gradients, [N, G*H]: the input side's and (a
        // gru's h~ gate differs) the recurrent side's.
        Value dA = empty(matrix(G * H), n);
        for (int64_t g = 0; g < G; ++g)
          dA = putColumns(out[g], dA, g * H);
        Value dAr = dA;
        if (gru)
          dAr = putColumns(out[3], dA, 2 * H);
        Value dhNext = matmul(dAr, recurrentT, gru ? out[4] : zeroMatrix(H));
        SmallVector<Value> next{dhNext};
        if (lstm)
          next.push_back(out[4]);
        next.push_back(putStep(dA, args[dxwAt], t, 0));
        if (gru)
          next.push_back(putStep(dAr, args[dxwAt + 1], t, 0));
        b.create<scf::YieldOp>(loc, next);
      });

  Value dxw = flat(loop.getResult(dxwAt));
  Value dhr = gru ? flat(loop.getResult(dxwAt + 1)) : dxw;
  Value dKernel = matmulLT(flat(x), dxw, zeroStatic(F, G * H));
  Value dRecurrent = matmulLT(flat(hPrevSeq), dhr, zeroStatic(H, G * H));
  LinalgBuilder lb(b, loc, {dxw});
  auto columnSums = [&](Value m) {
    AffineMap identity = b.getMultiDimIdentityMap(2);
    return lb.reduce(typeOf(m), {m}, {identity}, {0}, 0,
                     [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       return nb.create<arith::AddFOp>(nl, a[0], a[1]);
                     });
  };
  Value dBias = columnSums(dxw);
  if (gru) {
    auto rowType = RankedTensorType::get({1, G * H}, el);
    Value both = empty(typeOf(bias), {});
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(G * H)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    for (auto [row, sums] : llvm::enumerate(ValueRange{dBias,
                                                       columnSums(dhr)})) {
      Value asRow = b.create<tensor::ExpandShapeOp>(
          loc, rowType, sums, SmallVector<ReassociationIndices>{{0, 1}});
      both = b.create<tensor::InsertSliceOp>(
          loc, asRow, both,
          ArrayRef<OpFoldResult>{b.getIndexAttr(row), b.getIndexAttr(0)},
          sizes, strides);
    }
    dBias = both;
  }
  // The input's gradient only where something reads it (not for data).
  Value dx = needInputGrad
                 ? unflat(matmulRT(dxw, kernel, zeroMatrix(F, rows())))
                 : empty(sequence(F), n);
  return {dx, dKernel, dRecurrent, dBias};
}

/// recurrent (inference) and recurrent_train (also the residuals).
template <typename Op>
static LogicalResult lowerForward(Op op, PatternRewriter &rw) {
  Recurrent r(rw, op.getLoc(), op.getCell(), op.getActivation(),
              op.getInput(), op.getRecurrentKernel());
  rw.replaceOp(op, r.forward(op.getInput(), op.getKernel(),
                             op.getRecurrentKernel(), op.getBias(),
                             op.getReturnSequences(),
                             /*train=*/op->getNumResults() == 2));
  return success();
}

static LogicalResult lowerRecurrentGrad(RecurrentGradOp op,
                                        PatternRewriter &rw) {
  Recurrent r(rw, op.getLoc(), op.getCell(), op.getActivation(),
              op.getInput(), op.getRecurrentKernel());
  rw.replaceOp(op, r.backward(op.getGrad(), op.getInput(), op.getKernel(),
                              op.getRecurrentKernel(), op.getBias(),
                              op.getResiduals(), op.getReturnSequences(),
                              !op.getInputGrad().use_empty()));
  return success();
}

void nnc::populateLowerRecurrentPatterns(RewritePatternSet &patterns,
                                         ConversionTarget &target) {
  target.addLegalDialect<scf::SCFDialect>();
  patterns.add(lowerForward<RecurrentOp>);
  patterns.add(lowerForward<RecurrentTrainOp>);
  patterns.add(lowerRecurrentGrad);
}
