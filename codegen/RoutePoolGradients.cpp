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
// Each update is a row of KW * C contiguous floats per kh (NHWC). Which
// windows and channels have G != 0 is read as bit masks of up to 64
// lanes (a vector compare), then one loop over each mask's set bits: a
// branch per (window, channel) on G != 0 was mispredicted about one time
// in two after relu. The filter gradient runs as kBatchParts
// thread-private partials (BatchParts.h), each (image, channel)'s rows in
// registers across the image's routed windows (vector.fma). The input
// gradient goes image by image into its padded image, then cropped; each
// window's patch (the pixels under the taps at any of its winners) is
// accumulated in registers over the channels routed to each winner (a
// mask per winner position, so the registers a channel adds to are
// static), in groups of pixels and chunks of C that fit the register
// file, and then added to the image: the patches of neighbouring windows
// overlap, so rows updated in memory waited on each other's stores (with
// AVX2's 16 registers, by winner tap and filter row: tapRowRegisters). The
// bias gradient (reduce_sum of dy over N, H, W) sums G instead. Exact:
// the same products, in another summation order.
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

/// Elements of `el` in a vector register of `vectorBits`.
static int64_t lanesOf(int64_t vectorBits, Type el) {
  return std::max<int64_t>(1, vectorBits / el.getIntOrFloatBitWidth());
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
  Value routed = {}; // G where routed (else 0): [N, F, PH * PW]

  Value c(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }

  /// `acc` through a loop from `lo` to `hi`.
  Value loop(Value lo, Value hi, Value acc,
             llvm::function_ref<Value(Value, Value)> body) {
    return nnc::loop(b, loc, lo, hi, acc,
                     [&](OpBuilder &, Value iv, Value acc) {
                       return body(iv, acc);
                     });
  }

  /// The winner (oh, ow) of window (y, x) of image `img` in channel `ch`
  /// in the convolution's output.
  std::pair<Value, Value> winner(Value img, Value y, Value x, Value ch) {
    Value tap = b.create<tensor::ExtractOp>(loc, taps,
                                            ValueRange{img, y, x, ch});
    Value t = b.create<arith::IndexCastOp>(
        loc, b.getIndexType(),
        b.create<arith::FPToSIOp>(loc, b.getI32Type(), tap));
    Value oh = b.create<arith::AddIOp>(
        loc, b.create<arith::MulIOp>(loc, y, c(wh)),
        b.create<arith::DivUIOp>(loc, t, c(ww)));
    Value ow = b.create<arith::AddIOp>(
        loc, b.create<arith::MulIOp>(loc, x, c(ww)),
        b.create<arith::RemUIOp>(loc, t, c(ww)));
    return {oh, ow};
  }

  /// nnc::chunks with this builder.
  SmallVector<Value> chunks(int64_t total, int64_t size, ValueRange accs,
                            ChunkFn body) {
    return nnc::chunks(b, loc, total, size, accs, body);
  }
  Value chunks(int64_t total, int64_t size, Value acc,
               llvm::function_ref<Value(Value, int64_t, Value)> body) {
    return nnc::chunks(b, loc, total, size, acc, body);
  }

  /// The routed gradients come from bit masks of up to 64 lanes, one loop
  /// over a mask's set bits: no branch per window and channel, so no
  /// mispredicted one (about one in two of them was, after relu).
  /// `bits` (vector<width x i1>, width <= 64) as an i64 mask.
  Value maskOf(Value bits) {
    int64_t width = cast<VectorType>(bits.getType()).getDimSize(0);
    Type word = b.getIntegerType(width);
    Value mask = b.create<vector::ExtractOp>(
        loc, b.create<vector::BitCastOp>(loc, VectorType::get({1}, word), bits),
        ArrayRef<int64_t>{0});
    if (width < 64)
      mask = b.create<arith::ExtUIOp>(loc, b.getI64Type(), mask);
    return mask;
  }

  /// `accs` through `body(accs, lane)` for each set bit of the i64 `mask`,
  /// lowest first (lane: its index).
  using Lane = llvm::function_ref<SmallVector<Value>(ValueRange, Value)>;
  SmallVector<Value> overBits(Value mask, ValueRange accs, Lane body) {
    SmallVector<Value> init = {mask};
    llvm::append_range(init, accs);
    auto loop = b.create<scf::WhileOp>(
        loc, ValueRange(init).getTypes(), init,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value more = nb.create<arith::CmpIOp>(
              l, arith::CmpIPredicate::ne, args[0],
              nb.create<arith::ConstantIntOp>(l, 0, 64));
          nb.create<scf::ConditionOp>(l, more, args);
        },
        [&](OpBuilder &nb, Location l, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(nb.getInsertionBlock());
          Value m = args[0];
          Value lane = b.create<arith::IndexCastOp>(
              loc, b.getIndexType(),
              b.create<math::CountTrailingZerosOp>(loc, m));
          Value rest = b.create<arith::AndIOp>(
              loc, m,
              b.create<arith::SubIOp>(
                  loc, m, b.create<arith::ConstantIntOp>(loc, 1, 64)));
          SmallVector<Value> next = {rest};
          llvm::append_range(next, body(args.drop_front(), lane));
          b.create<scf::YieldOp>(loc, next);
        });
    return SmallVector<Value>(loop.getResults().drop_front());
  }

  /// `accs` through `update(accs, gradient, oh, ow)` for each window of
  /// image `img` whose gradient in channel `ch` is routed, the winner
  /// (oh, ow) in the convolution's output. Reads `routed`.
  using Update =
      llvm::function_ref<SmallVector<Value>(ValueRange, Value, Value, Value)>;
  SmallVector<Value> overWindows(Value img, Value ch, ValueRange accs,
                                 Update update) {
    return chunks(
        ph * pw, 64, accs, [&](Value w0, int64_t width, ValueRange accs) {
          auto vt = VectorType::get({width}, el);
          Value zero = cst(b, loc, el, 0);
          Value gv = b.create<vector::TransferReadOp>(
              loc, vt, routed, ValueRange{img, ch, w0}, zero,
              ArrayRef<bool>{true});
          Value bits = b.create<arith::CmpFOp>(
              loc, arith::CmpFPredicate::UNE, gv,
              b.create<vector::BroadcastOp>(loc, vt, zero));
          return overBits(maskOf(bits), accs,
                          [&](ValueRange accs, Value lane) {
            Value w = b.create<arith::AddIOp>(loc, w0, lane);
            Value grad = b.create<tensor::ExtractOp>(
                loc, routed, ValueRange{img, ch, w});
            Value y = b.create<arith::DivUIOp>(loc, w, c(pw));
            Value x = b.create<arith::RemUIOp>(loc, w, c(pw));
            auto [oh, ow] = winner(img, y, x, ch);
            return update(accs, grad, oh, ow);
          });
        });
  }

  /// Which of window (y, x)'s channels [f0, f0 + width) of image `img`
  /// have their gradient routed to tap q (q = a * WW + b): an i64 mask per
  /// tap, null for the taps not `wanted(q)`.
  SmallVector<Value> tapMasks(Value img, Value y, Value x, Value f0,
                              int64_t width,
                              llvm::function_ref<bool(int64_t)> wanted) {
    auto vt = VectorType::get({width}, el);
    SmallVector<Value, 4> at = {img, y, x, f0};
    Value zero = cst(b, loc, el, 0);
    auto splat = [&](double v) {
      return b.create<vector::BroadcastOp>(loc, vt, cst(b, loc, el, v));
    };
    Value gv = b.create<vector::TransferReadOp>(loc, vt, g, at, zero,
                                                ArrayRef<bool>{true});
    Value tv = b.create<vector::TransferReadOp>(loc, vt, taps, at, zero,
                                                ArrayRef<bool>{true});
    Value nonzero = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE,
                                            gv, splat(0));
    SmallVector<Value> masks(wh * ww);
    for (int64_t q = 0; q < wh * ww; ++q)
      if (wanted(q))
        masks[q] = maskOf(b.create<arith::AndIOp>(
            loc, nonzero,
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, tv,
                                    splat(q))));
    return masks;
  }

  /// `accs` through `update(accs, gradient, channel)` for each channel of
  /// window (y, x) of image `img` in `mask` (a tapMasks mask of the
  /// channels from f0).
  using ChannelUpdate =
      llvm::function_ref<SmallVector<Value>(ValueRange, Value, Value)>;
  SmallVector<Value> overChannels(Value img, Value y, Value x, Value f0,
                                  Value mask, ValueRange accs,
                                  ChannelUpdate update) {
    return overBits(mask, accs, [&](ValueRange accs, Value lane) {
      Value chan = b.create<arith::AddIOp>(loc, f0, lane);
      Value grad =
          b.create<tensor::ExtractOp>(loc, g, ValueRange{img, y, x, chan});
      return update(accs, grad, chan);
    });
  }

  /// `accs` through `update(accs, gradient, channel, q)` for each channel
  /// of window (y, x) of image `img` whose gradient is routed to tap q of
  /// the window (q = a * WW + b), for the taps that `wanted(q)`.
  using TapUpdate = llvm::function_ref<SmallVector<Value>(
      ValueRange, Value, Value, int64_t)>;
  SmallVector<Value> overTaps(Value img, Value y, Value x, ValueRange accs,
                              llvm::function_ref<bool(int64_t)> wanted,
                              TapUpdate update) {
    return chunks(f, 64, accs, [&](Value f0, int64_t width, ValueRange accs) {
      SmallVector<Value> masks = tapMasks(img, y, x, f0, width, wanted);
      SmallVector<Value> out(accs);
      for (int64_t q = 0; q < wh * ww; ++q)
        if (masks[q])
          out = overChannels(img, y, x, f0, masks[q], out,
                             [&](ValueRange accs, Value grad, Value chan) {
                               return update(accs, grad, chan, q);
                             });
      return out;
    });
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
  int64_t lanes = lanesOf(vectorBits, el);
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
      // A chunk of columns [c0, c0 + cw) of the channel's rows: read into
      // registers, updated at the image's routed windows, written back.
      auto update = [&](Value c0, int64_t cw, Value cur) -> Value {
        // The chunk's registers: (row i, column offset in it, width).
        SmallVector<std::tuple<int64_t, int64_t, int64_t>> pieces;
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t o = 0; o < cw; o += lanes)
            pieces.push_back({i, o, std::min(lanes, cw - o)});
        // One read and write per register: wider vectors would reach LLVM
        // (test/tools/bounded-vectors.test). One-shot bufferization's
        // analysis compares the pairs of subset ops on `cur`, so the chunks
        // go in a loop below: with all of a row's registers unrolled (400
        // for a 5 x 5 filter over 256 channels) it did not finish in
        // minutes.
        SmallVector<Value> regs;
        for (auto [i, o, width] : pieces)
          regs.push_back(rw.create<vector::TransferReadOp>(
              loc, VectorType::get({width}, el), cur,
              ValueRange{r.c(i), rw.create<arith::AddIOp>(loc, c0, r.c(o))},
              pad, ArrayRef<bool>{true}));
        regs = r.overWindows(
            img, filter, regs,
            [&](ValueRange regs, Value grad, Value oh, Value ow) {
              Value y = rw.create<arith::MulIOp>(loc, oh, r.c(strides[0]));
              Value col = rw.create<arith::AddIOp>(
                  loc, rw.create<arith::MulIOp>(loc, ow, r.c(strides[1] * ch)),
                  c0);
              SmallVector<Value> out;
              for (auto [k, piece] : llvm::enumerate(pieces)) {
                auto [i, o, width] = piece;
                auto vt = VectorType::get({width}, el);
                Value xi = rw.create<vector::TransferReadOp>(
                    loc, vt, xRows,
                    ValueRange{img, rw.create<arith::AddIOp>(loc, y, r.c(i)),
                               rw.create<arith::AddIOp>(loc, col, r.c(o))},
                    pad, ArrayRef<bool>{true});
                Value scale = rw.create<vector::BroadcastOp>(loc, vt, grad);
                out.push_back(
                    rw.create<vector::FMAOp>(loc, scale, xi, regs[k]));
              }
              return out;
            });
        for (auto [k, piece] : llvm::enumerate(pieces)) {
          auto [i, o, width] = piece;
          cur = rw.create<vector::TransferWriteOp>(
                      loc, regs[k], cur,
                      ValueRange{r.c(i),
                                 rw.create<arith::AddIOp>(loc, c0, r.c(o))},
                      ArrayRef<bool>{true})
                    .getResult();
        }
        return cur;
      };
      cur = r.chunks(row, chunk, cur, update);
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

/// The vector registers that a window's patch of the input gradient
/// takes at once: 16 of AVX-512's 32 (cnn.nn's second layer: 4 x 4 pixels
/// of 16 channels), 8 of AVX2's 16.
static int64_t patchRegisters(int64_t vectorBits) {
  return vectorBits >= 512 ? 16 : 8;
}

/// With AVX2's 16 registers, a window's patch takes many passes over its
/// routed channels, each too short to hide the FMA latency (groups of 8
/// registers got 3 to 6 FMAs per routed channel, all on the registers of
/// the previous one). There the input gradient goes by winner tap and
/// filter row instead: the row's KW pixels by a chunk of C in 12
/// registers, KW * chunk FMAs per routed channel. The registers per pixel,
/// 0 where the patches serve.
static int64_t tapRowRegisters(int64_t vectorBits, int64_t kw) {
  return vectorBits >= 512 || kw > 12 ? 0 : 12 / kw;
}

/// The input gradient: each image's padded gradient [Hp, Wp * C] zeroed,
/// then window by window: the window's patch (the input pixels under its
/// KH x KW taps at every winner, (WH - 1) * SH + KH rows by
/// (WW - 1) * SW + KW pixels) accumulated in registers over the channels
/// routed to it, a group of pixels and a chunk of C at a time, and added
/// to the image (or by tap rows: tapRowRegisters); cropped to the input.
static Value inputGradient(IRRewriter &rw, Router &r, Conv2DInputGradOp op,
                           int64_t vectorBits) {
  Location loc = op.getLoc();
  RankedTensorType out = op.getType(); // N, H, W, C
  Value w = op.getFilter();
  RankedTensorType ft = typeOf(w); // KH, KW, C, F
  int64_t kh = ft.getDimSize(0), kw = ft.getDimSize(1),
          ch = ft.getDimSize(2), f = ft.getDimSize(3), row = kw * ch;
  ArrayRef<int64_t> strides = op.getStrides(), pad = op.getPadding();
  int64_t sh = strides[0], sw = strides[1];
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
  // The patch's groups: rows [r0, r0 + rows) by pixels [p0, p0 + cols),
  // channels [c0, c0 + width), one register per pixel.
  struct Group {
    int64_t r0, rows, p0, cols;
  };
  int64_t patchH = (r.wh - 1) * sh + kh, patchW = (r.ww - 1) * sw + kw;
  int64_t lanes = lanesOf(vectorBits, el);
  int64_t budget = patchRegisters(vectorBits);
  int64_t cols = std::min(patchW, budget),
          rows = std::max<int64_t>(1, budget / cols);
  SmallVector<Group> groups;
  for (int64_t r0 = 0; r0 < patchH; r0 += rows)
    for (int64_t p0 = 0; p0 < patchW; p0 += cols)
      groups.push_back({r0, std::min(rows, patchH - r0), p0,
                        std::min(cols, patchW - p0)});
  Value pad0 = cst(rw, loc, el, 0);
  // Registers `regs` (rows x cols of `width` channels, row-major) added to
  // the image at pixel row (window y's first) + dy, column (window x's
  // first) + dx, channels from c0: one 3-D read and write (the
  // bufferization's analysis and the loop-invariant subset hoisting
  // compare every pair of subset ops on the image: 1-D ones per register
  // made deep_cnn compile twice as long).
  auto addBlock = [&](Value mine, ArrayRef<Value> regs, int64_t rows,
                      int64_t cols, int64_t width, Value y, int64_t dy,
                      Value x, int64_t dx, Value c0) -> Value {
    Value top = rw.create<arith::MulIOp>(loc, y, r.c(r.wh * sh));
    Value left = rw.create<arith::MulIOp>(loc, x, r.c(r.ww * sw));
    auto blockType = VectorType::get({rows, cols, width}, el);
    Value sum = rw.create<arith::ConstantOp>(
        loc, blockType, DenseElementsAttr::get(blockType, rw.getZeroAttr(el)));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        sum = rw.create<vector::InsertOp>(loc, regs[i * cols + j], sum,
                                          ArrayRef<int64_t>{i, j});
    SmallVector<Value, 3> to = {rw.create<arith::AddIOp>(loc, top, r.c(dy)),
                                rw.create<arith::AddIOp>(loc, left, r.c(dx)),
                                c0};
    SmallVector<bool, 3> inBounds(3, true);
    Value cur = rw.create<vector::TransferReadOp>(loc, blockType, mine, to,
                                                  pad0, inBounds);
    return rw
        .create<vector::TransferWriteOp>(
            loc, rw.create<arith::AddFOp>(loc, cur, sum), mine, to, inBounds)
        .getResult();
  };
  // Window (y, x)'s groups over channels [c0, c0 + width), added to the
  // image.
  auto addGroups = [&](Value y, Value x, Value c0, int64_t width,
                       Value mine) -> Value {
    auto vt = VectorType::get({width}, el);
    for (const Group &gr : groups) {
      // Where tap q's filter element (i, j) lands in the group, if it
      // does: the register's index.
      auto reg = [&](int64_t q, int64_t i, int64_t j) -> int64_t {
        int64_t pr = q / r.ww * sh + i - gr.r0, pc = q % r.ww * sw + j - gr.p0;
        if (pr < 0 || pr >= gr.rows || pc < 0 || pc >= gr.cols)
          return -1;
        return pr * gr.cols + pc;
      };
      auto wanted = [&](int64_t q) {
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j)
            if (reg(q, i, j) >= 0)
              return true;
        return false;
      };
      Value zeros = rw.create<arith::ConstantOp>(
          loc, vt, DenseElementsAttr::get(vt, rw.getZeroAttr(el)));
      SmallVector<Value> accs(gr.rows * gr.cols, zeros);
      accs = r.overTaps(
          img, y, x, accs, wanted,
          [&](ValueRange accs, Value grad, Value chan, int64_t q) {
            SmallVector<Value> next(accs);
            Value scale = rw.create<vector::BroadcastOp>(loc, vt, grad);
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t k = reg(q, i, j);
                if (k < 0)
                  continue;
                Value wv = rw.create<vector::TransferReadOp>(
                    loc, vt, wRows,
                    ValueRange{chan, r.c(i),
                               rw.create<arith::AddIOp>(loc, c0,
                                                        r.c(j * ch))},
                    pad0, ArrayRef<bool>{true});
                next[k] = rw.create<vector::FMAOp>(loc, scale, wv, next[k]);
              }
            return next;
          });
      // The group added to the image.
      mine = addBlock(mine, accs, gr.rows, gr.cols, width, y, gr.r0, x,
                      gr.p0, c0);
    }
    return mine;
  };
  // The image as [Hp, Wp, C] for the groups' reads and writes.
  mine = rw.create<tensor::ExpandShapeOp>(
      loc, RankedTensorType::get({hp, wp, ch}, el), mine,
      SmallVector<ReassociationIndices>{{0}, {1, 2}});
  // Filter row i of the channels of `mask` routed to window (y, x)'s tap
  // q, over channels [c0, c0 + width), added to the image.
  auto addTapRow = [&](Value y, Value x, Value f0, Value mask, int64_t q,
                       int64_t i, Value c0, int64_t width,
                       Value mine) -> Value {
    auto vt = VectorType::get({width}, el);
    Value zeros = rw.create<arith::ConstantOp>(
        loc, vt, DenseElementsAttr::get(vt, rw.getZeroAttr(el)));
    SmallVector<Value> accs(kw, zeros);
    accs = r.overChannels(
        img, y, x, f0, mask, accs,
        [&](ValueRange accs, Value grad, Value chan) {
          Value scale = rw.create<vector::BroadcastOp>(loc, vt, grad);
          SmallVector<Value> next(accs);
          for (int64_t j = 0; j < kw; ++j) {
            Value wv = rw.create<vector::TransferReadOp>(
                loc, vt, wRows,
                ValueRange{chan, r.c(i),
                           rw.create<arith::AddIOp>(loc, c0, r.c(j * ch))},
                pad0, ArrayRef<bool>{true});
            next[j] = rw.create<vector::FMAOp>(loc, scale, wv, next[j]);
          }
          return next;
        });
    return addBlock(mine, accs, 1, kw, width, y, q / r.ww * sh + i, x,
                    q % r.ww * sw, c0);
  };
  int64_t perPixel = tapRowRegisters(vectorBits, kw);
  mine = r.loop(r.c(0), r.c(r.ph), mine, [&](Value y, Value mine) {
    return r.loop(r.c(0), r.c(r.pw), mine, [&](Value x, Value mine) {
      if (perPixel == 0)
        return r.chunks(ch, lanes, mine,
                        [&](Value c0, int64_t width, Value mine) {
                          return addGroups(y, x, c0, width, mine);
                        });
      return r.chunks(f, 64, mine, [&](Value f0, int64_t fw, Value mine) {
        SmallVector<Value> masks = r.tapMasks(
            img, y, x, f0, fw, [](int64_t) { return true; });
        for (int64_t q = 0; q < r.wh * r.ww; ++q)
          for (int64_t i = 0; i < kh; ++i)
            mine = r.chunks(ch, lanes * perPixel, mine,
                            [&](Value c0, int64_t width, Value mine) {
                              return addTapRow(y, x, f0, masks[q], q, i, c0,
                                               width, mine);
                            });
        return mine;
      });
    });
  });
  mine = rw.create<tensor::CollapseShapeOp>(
      loc, mine, SmallVector<ReassociationIndices>{{0}, {1, 2}});
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

/// G where a maximum was found (else 0), transposed to [N, F, PH * PW]:
/// a channel's windows contiguous, for the filter gradient's masks.
static Value routedByChannel(OpBuilder &b, Location loc, Value g, Value taps,
                             int64_t none) {
  RankedTensorType gt = typeOf(g); // N, PH, PW, F
  int64_t ph = gt.getDimSize(1), pw = gt.getDimSize(2), f = gt.getDimSize(3);
  Type el = gt.getElementType();
  Value n = b.create<tensor::DimOp>(loc, g, 0);
  Value init = b.create<tensor::EmptyOp>(
      loc, ArrayRef<int64_t>{ShapedType::kDynamic, f, ph, pw}, el,
      ValueRange{n});
  MLIRContext *ctx = b.getContext();
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  SmallVector<AffineMap> maps = {
      AffineMap::get(4, 0, {d0, d2, d3, d1}, ctx),
      AffineMap::get(4, 0, {d0, d2, d3, d1}, ctx),
      b.getMultiDimIdentityMap(4)};
  SmallVector<utils::IteratorType> parallel(4, utils::IteratorType::parallel);
  Value out =
      b.create<linalg::GenericOp>(
           loc, TypeRange{init.getType()}, ValueRange{g, taps},
           ValueRange{init}, maps, parallel,
           [&](OpBuilder &nb, Location l, ValueRange a) {
             Value found = nb.create<arith::CmpFOp>(
                 l, arith::CmpFPredicate::OLT, a[1], cst(nb, l, el, none));
             nb.create<linalg::YieldOp>(
                 l, ValueRange{nb.create<arith::SelectOp>(
                        l, found, a[0], cst(nb, l, el, 0))});
           })
          .getResult(0);
  return b.create<tensor::CollapseShapeOp>(
      loc, out, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
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
  if (!m.filters.empty())
    r.routed = routedByChannel(rw, loc, g, taps, r.wh * r.ww);
  for (ReduceSumOp sum : m.biases)
    rw.modifyOpInPlace(sum, [&] { sum->setOperand(0, g); });
  for (Conv2DFilterGradOp op : m.filters) {
    rw.setInsertionPoint(op);
    rw.replaceOp(op, filterGradient(rw, r, op, vectorBits));
  }
  for (Conv2DInputGradOp op : m.inputs) {
    rw.setInsertionPoint(op);
    rw.replaceOp(op, inputGradient(rw, r, op, vectorBits));
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
