//===- RoutePoolGradients.cpp - a pooled convolution's backward, sparse ---===//
//
// conv2d -> [relu] -> maxpool2d whose windows tile (window = strides, no
// padding): the gradient that reaches the convolution's output is nonzero
// only at each window's first maximum, one position in four under 2 x 2
// pooling (none where relu's mask is off). The dense backward builds that
// gradient (maxpool2d_grad, where_positive: mostly zeros) and convolves it
// whole for the input and filter gradients. This pass computes them from
// the pooled gradient instead, at the winners only:
//
//   G[n, ph, pw, f] = relu ? (p > 0 ? dp : 0) : dp     (p: the pooled max)
//   T[n, ph, pw, f] = the window's first maximum (firstMaxTaps)
//   for each (n, ph, pw, f) with G != 0, at the winner (oh, ow):
//     dW[f][kh][:] += G * x[n, oh * sh + kh, ow * sw .. + KW][:]   (KW * C)
//     dx[n, oh * sh + kh, ow * sw .. + KW][:] += G * W[kh, :, :, f]
//
// Each update is a row of KW * C contiguous floats per kh (NHWC). The
// filter gradient runs as kBatchParts thread-private partials
// (BatchParts.h), each (image, channel)'s rows in registers across the
// image's windows (vector.fma); the input gradient image by image into its
// padded image, then cropped, each update a static linalg.generic that
// nnc-tile-and-vectorize vectorizes. The bias gradient (reduce_sum of dy
// over N, H, W) sums G instead. Exact: the same products, in another
// summation order.
//
// Only where every reader of dy is one of these (a filter gradient, an
// input gradient, a sum over N, H, W) and KW * C >= 16 (a first layer's
// C = 1 rows would be scalar code: its dense filter gradient is fused
// image by image in nnc-tile-and-vectorize instead).
//
//===----------------------------------------------------------------------===//
#include "codegen/BatchParts.h"
#include "codegen/LinalgBuilder.h"
#include "codegen/Passes.h"
#include "ir/NncOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace nnc {
#define GEN_PASS_DEF_ROUTEPOOLGRADIENTS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {

/// Rows of KW * C narrower than this stay dense.
constexpr int64_t kMinRow = 16;
/// The vector registers that a filter gradient's rows take at once: 18 of
/// AVX-512's 32 (3 rows of 96 elements: cnn.nn's second layer), 12 of
/// AVX2's 16.
static int64_t accumulators(int64_t vectorBits) {
  return vectorBits >= 512 ? 18 : 12;
}

/// A pooled convolution's output gradient and its readers.
struct Pooled {
  MaxPool2DGradOp pool;
  WherePositiveOp relu; // or null: no activation
  Value dy;             // relu's result, or the pooling gradient's
  SmallVector<Conv2DFilterGradOp> filters;
  SmallVector<Conv2DInputGradOp> inputs;
  SmallVector<ReduceSumOp> biases;
};

static bool staticButBatch(RankedTensorType t) {
  for (int64_t i = 0; i < t.getRank(); ++i)
    if (t.isDynamicDim(i) != (i == 0))
      return false;
  return true;
}

static bool wideRows(RankedTensorType filter) { // [KH, KW, C, F]
  return filter.getDimSize(1) * filter.getDimSize(2) >= kMinRow;
}

static std::optional<Pooled> match(MaxPool2DGradOp pool) {
  Pooled m;
  m.pool = pool;
  RankedTensorType in = pool.getType();
  if (pool.getWindow() != pool.getStrides() || in.getRank() != 4 ||
      llvm::any_of(pool.getPadding(), [](int64_t p) { return p != 0; }) ||
      !staticButBatch(in) || !isa<FloatType>(in.getElementType()))
    return std::nullopt;
  m.dy = pool.getResult();
  Value r = pool.getInput();
  if (m.dy.hasOneUse())
    if (auto relu = dyn_cast<WherePositiveOp>(*m.dy.getUsers().begin()))
      if (relu.getX() == r && relu.getOtherwise() == r &&
          relu.getIfPositive() == m.dy && r.getDefiningOp<ReluOp>()) {
        m.relu = relu;
        m.dy = relu.getResult();
      }
  for (Operation *user : m.dy.getUsers()) {
    if (auto fg = dyn_cast<Conv2DFilterGradOp>(user);
        fg && fg.getGrad() == m.dy && fg.getInput() != m.dy &&
        wideRows(fg.getType()) && staticButBatch(typeOf(fg.getInput()))) {
      m.filters.push_back(fg);
    } else if (auto ig = dyn_cast<Conv2DInputGradOp>(user);
               ig && ig.getGrad() == m.dy && ig.getFilter() != m.dy &&
               wideRows(typeOf(ig.getFilter())) &&
               staticButBatch(ig.getType())) {
      m.inputs.push_back(ig);
    } else if (auto sum = dyn_cast<ReduceSumOp>(user);
               sum && sum.getAxes() == ArrayRef<int64_t>{0, 1, 2}) {
      m.biases.push_back(sum);
    } else {
      return std::nullopt;
    }
  }
  if (m.filters.empty() && m.inputs.empty())
    return std::nullopt;
  return m;
}

/// Builds the loops over a batch's windows and channels with a gradient.
struct Router {
  OpBuilder &b;
  Location loc;
  Value g, taps;          // G and T: [N, PH, PW, F]
  int64_t ph, pw, f;      // their static sizes
  int64_t wh, ww;         // the pooling window
  Type el;

  Value c(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }

  /// `acc` through a loop from `lo` to `hi`.
  Value loop(Value lo, Value hi, Value acc,
             llvm::function_ref<Value(Value, Value)> body) {
    return nnc::loop(b, loc, lo, hi, acc,
                     [&](OpBuilder &, Value iv, Value acc) {
                       return body(iv, acc);
                     });
  }

  /// The gradient of window (y, x) of image `img` in channel `ch`,
  /// whether it is routed (nonzero, and a maximum was found), and its
  /// winner (oh, ow) in the convolution's output.
  struct Winner {
    Value grad, some, oh, ow;
  };
  Winner winner(Value img, Value y, Value x, Value ch) {
    ValueRange at = {img, y, x, ch};
    Value grad = b.create<tensor::ExtractOp>(loc, g, at);
    Value tap = b.create<tensor::ExtractOp>(loc, taps, at);
    Value some = b.create<arith::AndIOp>(
        loc,
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, grad,
                                cst(b, loc, el, 0)),
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, tap,
                                cst(b, loc, el, wh * ww)));
    Value t = b.create<arith::IndexCastOp>(
        loc, b.getIndexType(),
        b.create<arith::FPToSIOp>(loc, b.getI32Type(), tap));
    Value oh = b.create<arith::AddIOp>(
        loc, b.create<arith::MulIOp>(loc, y, c(wh)),
        b.create<arith::DivUIOp>(loc, t, c(ww)));
    Value ow = b.create<arith::AddIOp>(
        loc, b.create<arith::MulIOp>(loc, x, c(ww)),
        b.create<arith::RemUIOp>(loc, t, c(ww)));
    return {grad, some, oh, ow};
  }

  /// `accs` through `update(accs, winner)` for each window of image `img`
  /// in channel `ch` whose gradient is routed.
  using Update =
      llvm::function_ref<SmallVector<Value>(ValueRange, const Winner &)>;
  SmallVector<Value> overWindows(Value img, Value ch, ValueRange accs,
                                 Update update) {
    return loops(b, loc, c(0), c(ph), accs,
                 [&](OpBuilder &, Value y, ValueRange accs) {
      return loops(b, loc, c(0), c(pw), accs,
                   [&](OpBuilder &, Value x, ValueRange accs) {
        Winner w = winner(img, y, x, ch);
        auto branch = b.create<scf::IfOp>(loc, accs.getTypes(), w.some,
                                          /*withElse=*/true);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(branch.thenBlock());
        b.create<scf::YieldOp>(loc, update(accs, w));
        b.setInsertionPointToStart(branch.elseBlock());
        b.create<scf::YieldOp>(loc, accs);
        return SmallVector<Value>(branch.getResults());
      });
    });
  }

  /// `acc` through `update(acc, gradient, channel, oh, ow)` for each
  /// channel and window of image `img` with a routed gradient.
  Value overWinners(Value img, Value acc,
                    llvm::function_ref<Value(Value, Value, Value, Value,
                                             Value)>
                        update) {
    return loop(c(0), c(f), acc, [&](Value ch, Value acc) {
      return overWindows(img, ch, acc,
                         [&](ValueRange accs, const Winner &w) {
                           return SmallVector<Value>{
                               update(accs[0], w.grad, ch, w.oh, w.ow)};
                         })[0];
    });
  }

  /// `acc` + `scale` * `x`, two [KH, KW * C] tiles (fused multiply-adds).
  Value axpy(Value acc, Value scale, Value x) {
    auto type = cast<RankedTensorType>(acc.getType());
    SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(2));
    SmallVector<utils::IteratorType> parallel(2,
                                              utils::IteratorType::parallel);
    return b
        .create<linalg::GenericOp>(
            loc, TypeRange{type}, ValueRange{x}, ValueRange{acc}, maps,
            parallel,
            [&](OpBuilder &nb, Location l, ValueRange a) {
              nb.create<linalg::YieldOp>(
                  l, ValueRange{nb.create<math::FmaOp>(l, scale, a[0], a[1])});
            })
        .getResult(0);
  }
};
} // namespace

/// The filter gradient: kBatchParts partials [F, KH, KW * C], added up and
/// transposed to [KH, KW, C, F].
static Value filterGradient(IRRewriter &rw, Router &r, Conv2DFilterGradOp op,
                            int64_t vectorBits) {
  Location loc = op.getLoc();
  RankedTensorType out = op.getType(); // KH, KW, C, F
  int64_t kh = out.getDimSize(0), kw = out.getDimSize(1),
          ch = out.getDimSize(2), f = out.getDimSize(3), row = kw * ch;
  ArrayRef<int64_t> strides = op.getStrides();
  Type el = r.el;
  Value x = padNHWC(rw, loc, op.getInput(), op.getPadding(), 0.0);
  Value xRows = rw.create<tensor::CollapseShapeOp>(
      loc, x, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  auto partType = RankedTensorType::get({f, kh, row}, el);
  Value zero = cst(rw, loc, el, 0);
  Value init =
      rw.create<linalg::FillOp>(
            loc, zero,
            rw.create<tensor::EmptyOp>(
                  loc, ArrayRef<int64_t>{kBatchParts, f, kh, row}, el)
                .getResult())
          .getResult(0);
  Value n = rw.create<tensor::DimOp>(loc, op.getInput(), 0);
  Value work = rw.create<arith::MulIOp>(
      loc, n, r.c(r.ph * r.pw * f * kh * row));
  auto [forall, first, last] = overBatchParts(rw, loc, n, {init}, work);
  Value part = forall.getInductionVar(0);
  SmallVector<OpFoldResult> partAt = {part};
  partAt.append(indexAttrs(rw, {0, 0, 0}));
  SmallVector<OpFoldResult> partSizes = indexAttrs(rw, {1, f, kh, row});
  SmallVector<OpFoldResult> ones = indexAttrs(rw, {1, 1, 1, 1});
  Value acc = rw.create<tensor::ExtractSliceOp>(
      loc, partType, forall.getRegionIterArgs()[0], partAt, partSizes, ones);
  // Each channel's rows stay in registers across the image's windows, in
  // column chunks of at most accumulators() registers over the KH rows, one
  // loop-carried vector per register (LLVM scalarizes a loop-carried
  // vector of several registers, such as <96 x float>). Updated in memory
  // window by window, each update waited for the previous one's stores.
  auto tile = RankedTensorType::get({kh, row}, el);
  int64_t lanes = std::max<int64_t>(1, vectorBits / el.getIntOrFloatBitWidth());
  int64_t chunk = std::min<int64_t>(
      row, std::max<int64_t>(1, accumulators(vectorBits) / kh) * lanes);
  Value pad = cst(rw, loc, el, 0);
  acc = r.loop(first, last, acc, [&](Value img, Value acc) {
    return r.loop(r.c(0), r.c(f), acc, [&](Value filter, Value acc) {
      SmallVector<OpFoldResult> at = {filter, rw.getIndexAttr(0),
                                      rw.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = indexAttrs(rw, {1, kh, row});
      SmallVector<OpFoldResult> unit = indexAttrs(rw, {1, 1, 1});
      Value cur =
          rw.create<tensor::ExtractSliceOp>(loc, tile, acc, at, sizes, unit);
      for (int64_t c0 = 0; c0 < row; c0 += chunk) {
        // The chunk's registers: (row i, column offset, width).
        SmallVector<std::tuple<int64_t, int64_t, int64_t>> pieces;
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t o = c0; o < std::min(row, c0 + chunk); o += lanes)
            pieces.push_back({i, o, std::min(lanes, row - o)});
        SmallVector<Value> regs;
        for (auto [i, o, width] : pieces)
          regs.push_back(rw.create<vector::TransferReadOp>(
              loc, VectorType::get({width}, el), cur,
              ValueRange{r.c(i), r.c(o)}, pad, ArrayRef<bool>{true}));
        regs = r.overWindows(
            img, filter, regs,
            [&](ValueRange regs, const Router::Winner &w) {
              Value y = rw.create<arith::MulIOp>(loc, w.oh, r.c(strides[0]));
              Value col =
                  rw.create<arith::MulIOp>(loc, w.ow, r.c(strides[1] * ch));
              SmallVector<Value> out;
              for (auto [k, piece] : llvm::enumerate(pieces)) {
                auto [i, o, width] = piece;
                auto vt = VectorType::get({width}, el);
                Value xi = rw.create<vector::TransferReadOp>(
                    loc, vt, xRows,
                    ValueRange{img, rw.create<arith::AddIOp>(loc, y, r.c(i)),
                               rw.create<arith::AddIOp>(loc, col, r.c(o))},
                    pad, ArrayRef<bool>{true});
                Value scale = rw.create<vector::BroadcastOp>(loc, vt, w.grad);
                out.push_back(
                    rw.create<vector::FMAOp>(loc, scale, xi, regs[k]));
              }
              return out;
            });
        for (auto [k, piece] : llvm::enumerate(pieces)) {
          auto [i, o, width] = piece;
          cur = rw.create<vector::TransferWriteOp>(
                      loc, regs[k], cur, ValueRange{r.c(i), r.c(o)},
                      ArrayRef<bool>{true})
                    .getResult();
        }
      }
      return rw
          .create<tensor::InsertSliceOp>(loc, cur, acc, at, sizes, unit)
          .getResult();
    });
  });
  rw.setInsertionPointToStart(forall.getTerminator().getBody());
  rw.create<tensor::ParallelInsertSliceOp>(
      loc, acc, forall.getRegionIterArgs()[0], partAt, partSizes, ones);
  rw.setInsertionPointAfter(forall);
  Value total = addParts(rw, loc, forall.getResult(0), partType);
  auto fhwc = RankedTensorType::get({f, kh, kw, ch}, el);
  Value expanded = rw.create<tensor::ExpandShapeOp>(
      loc, fhwc, total,
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  return rw
      .create<linalg::TransposeOp>(
          loc, expanded,
          rw.create<tensor::EmptyOp>(loc, out.getShape(), el).getResult(),
          ArrayRef<int64_t>{1, 2, 3, 0})
      .getResult()[0];
}

/// The input gradient: each image's padded gradient [Hp, Wp * C] zeroed,
/// then the filter's rows added at the winners; cropped to the input.
static Value inputGradient(IRRewriter &rw, Router &r, Conv2DInputGradOp op) {
  Location loc = op.getLoc();
  RankedTensorType out = op.getType(); // N, H, W, C
  Value w = op.getFilter();
  RankedTensorType ft = typeOf(w); // KH, KW, C, F
  int64_t kh = ft.getDimSize(0), kw = ft.getDimSize(1),
          ch = ft.getDimSize(2), f = ft.getDimSize(3), row = kw * ch;
  ArrayRef<int64_t> strides = op.getStrides(), pad = op.getPadding();
  Type el = r.el;
  // The filter as [F, KH, KW * C]: each channel's rows contiguous.
  Value wt = rw.create<linalg::TransposeOp>(
                   loc, w,
                   rw.create<tensor::EmptyOp>(
                         loc, ArrayRef<int64_t>{f, kh, kw, ch}, el)
                       .getResult(),
                   ArrayRef<int64_t>{3, 0, 1, 2})
                 .getResult()[0];
  Value wRows = rw.create<tensor::CollapseShapeOp>(
      loc, wt, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  int64_t hp = out.getDimSize(1) + pad[0] + pad[1],
          wp = out.getDimSize(2) + pad[2] + pad[3];
  Value n = rw.create<tensor::DimOp>(loc, r.g, 0);
  auto paddedType =
      RankedTensorType::get({ShapedType::kDynamic, hp, wp * ch}, el);
  Value padded = rw.create<tensor::EmptyOp>(loc, paddedType.getShape(), el,
                                            ValueRange{n});
  Value work = rw.create<arith::MulIOp>(
      loc, n, r.c(r.ph * r.pw * f * kh * row + hp * wp * ch));
  auto forall = rw.create<scf::ForallOp>(
      loc, ArrayRef<OpFoldResult>{n}, ValueRange{padded}, std::nullopt);
  rw.setInsertionPointToStart(forall.getBody());
  rw.create<nnc::ParallelWorkOp>(loc, work);
  Value img = forall.getInductionVar(0);
  SmallVector<OpFoldResult> at = {img, rw.getIndexAttr(0),
                                  rw.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = indexAttrs(rw, {1, hp, wp * ch});
  SmallVector<OpFoldResult> unit = indexAttrs(rw, {1, 1, 1});
  auto imageType = RankedTensorType::get({hp, wp * ch}, el);
  // Zeroed in place (a fill of a fresh tensor would be a copy).
  Value mine = rw.create<linalg::FillOp>(
                     loc, cst(rw, loc, el, 0),
                     rw.create<tensor::ExtractSliceOp>(
                           loc, imageType, forall.getRegionIterArgs()[0], at,
                           sizes, unit)
                         .getResult())
                   .getResult(0);
  auto tile = RankedTensorType::get({kh, row}, el);
  mine = r.overWinners(img, mine, [&](Value acc, Value grad, Value filter,
                                      Value oh, Value ow) {
    Value y = rw.create<arith::MulIOp>(loc, oh, r.c(strides[0]));
    Value col = rw.create<arith::MulIOp>(loc, ow, r.c(strides[1] * ch));
    SmallVector<OpFoldResult> patchAt = {y, col};
    SmallVector<OpFoldResult> patchSizes = indexAttrs(rw, {kh, row});
    SmallVector<OpFoldResult> ones = indexAttrs(rw, {1, 1});
    Value cur = rw.create<tensor::ExtractSliceOp>(loc, tile, acc, patchAt,
                                                  patchSizes, ones);
    SmallVector<OpFoldResult> wAt = {filter, rw.getIndexAttr(0),
                                     rw.getIndexAttr(0)};
    Value rows = rw.create<tensor::ExtractSliceOp>(
        loc, tile, wRows, wAt, indexAttrs(rw, {1, kh, row}), unit);
    return rw
        .create<tensor::InsertSliceOp>(loc, r.axpy(cur, grad, rows), acc,
                                       patchAt, patchSizes, ones)
        .getResult();
  });
  rw.setInsertionPointToStart(forall.getTerminator().getBody());
  rw.create<tensor::ParallelInsertSliceOp>(
      loc, mine, forall.getRegionIterArgs()[0], at, sizes, unit);
  rw.setInsertionPointAfter(forall);
  auto nhwc = RankedTensorType::get({ShapedType::kDynamic, hp, wp, ch}, el);
  Value dx = rw.create<tensor::ExpandShapeOp>(
      loc, nhwc, forall.getResult(0),
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  if (nhwc == out)
    return dx;
  SmallVector<OpFoldResult> cropAt = indexAttrs(rw, {0, pad[0], pad[2], 0});
  SmallVector<OpFoldResult> cropSizes = {
      OpFoldResult(n), rw.getIndexAttr(out.getDimSize(1)),
      rw.getIndexAttr(out.getDimSize(2)), rw.getIndexAttr(ch)};
  return rw.create<tensor::ExtractSliceOp>(loc, out, dx, cropAt, cropSizes,
                                           indexAttrs(rw, {1, 1, 1, 1}));
}

static void route(IRRewriter &rw, Pooled &m, int64_t vectorBits) {
  MaxPool2DGradOp pool = m.pool;
  Location loc = pool.getLoc();
  Value p = pool.getOutput(), dp = pool.getGrad();
  RankedTensorType pt = typeOf(p);
  rw.setInsertionPointAfter(m.dy.getDefiningOp());
  // G: the pooled gradient, masked by relu at the winners (the winner's
  // value is the pooled maximum p, which relu made >= 0).
  Value g = dp;
  if (m.relu)
    g = rw.create<WherePositiveOp>(loc, pt, p, dp, p);
  LinalgBuilder lb(rw, loc, {p});
  Value taps = firstMaxTaps(lb, pool.getInput(), p, pool.getWindow());
  Router r{rw,
           loc,
           g,
           taps,
           pt.getDimSize(1),
           pt.getDimSize(2),
           pt.getDimSize(3),
           pool.getWindow()[0],
           pool.getWindow()[1],
           pt.getElementType()};
  for (ReduceSumOp sum : m.biases)
    rw.modifyOpInPlace(sum, [&] { sum->setOperand(0, g); });
  for (Conv2DFilterGradOp op : m.filters) {
    rw.setInsertionPoint(op);
    rw.replaceOp(op, filterGradient(rw, r, op, vectorBits));
  }
  for (Conv2DInputGradOp op : m.inputs) {
    rw.setInsertionPoint(op);
    rw.replaceOp(op, inputGradient(rw, r, op));
  }
  if (m.relu)
    rw.eraseOp(m.relu);
  rw.eraseOp(pool);
}

namespace {
struct RoutePoolGradients
    : nnc::impl::RoutePoolGradientsBase<RoutePoolGradients> {
  using RoutePoolGradientsBase::RoutePoolGradientsBase;
  void runOnOperation() override {
    SmallVector<Pooled> found;
    getOperation().walk([&](MaxPool2DGradOp pool) {
      if (std::optional<Pooled> m = match(pool))
        found.push_back(*m);
    });
    IRRewriter rw(&getContext());
    for (Pooled &m : found)
      route(rw, m, vectorBits);
  }
};
} // namespace
