//===- LowerGradients.cpp - gradient ops of windows, max and embedding ----===//
//
// Patterns of nnc-lower-to-linalg for the gradient ops that conv2d,
// pooling, reduce_max and embedding build (ir/Gradients.cpp), in shapes
// that nnc-tile-and-vectorize already tiles well:
// - conv2d_input_grad: on the CPU (option input-grad-by-taps), where dy
//   is much smaller than dx (strided, or a small image under a large
//   kernel), by taps: Y = dy W^T (one matmul) and each tap's slice of Y
//   added to the slice of dx it lands on. Otherwise the transposed
//   convolution, a stride-1 linalg.conv_2d_nhwc_hwcf of the gradient
//   (padded, and dilated by the strides) with the filter flipped in H and
//   W and its channels swapped: tiled and vectorized as the forward
//   convolution.
// - conv2d_filter_grad: a linalg.generic over (kh, kw, c, f | n, oh, ow)
//   that reads the input through its windows (nnc-tile-and-vectorize gives
//   it thread-private partial gradients and register tiles). It was the
//   windows materialized (im2col, [N*OH*OW, KH*KW*C]) and a matmul over
//   them, which streamed 9x the input from memory per column block.
// - maxpool2d_grad, avgpool2d_grad: for each input element, a sum over the
//   windows that hold it (at most ceil(window / stride) per dim), so that
//   each element is written once, one sample per thread.
// - reduce_max_grad: the mask of the maxima divided by their count.
// - embedding_grad: a loop over the ids adding rows of the gradient into
//   rows of the table (in place after bufferization).
//
//===----------------------------------------------------------------------===//
#include "codegen/LinalgBuilder.h"

using namespace mlir;
using namespace nnc;

static Value index(OpBuilder &b, Location l, int64_t v) {
  return b.create<arith::ConstantIndexOp>(l, v);
}

/// `t` with its dims merged by `groups` (a merged dim is dynamic when one of
/// its dims is).
static RankedTensorType collapsed(RankedTensorType t,
                                  ArrayRef<ReassociationIndices> groups) {
  SmallVector<int64_t> shape;
  for (const ReassociationIndices &group : groups) {
    int64_t size = 1;
    for (int64_t d : group)
      size = t.isDynamicDim(d) || ShapedType::isDynamic(size)
                 ? ShapedType::kDynamic
                 : size * t.getDimSize(d);
    shape.push_back(size);
  }
  return RankedTensorType::get(shape, t.getElementType());
}

static Value collapse(OpBuilder &b, Location loc, Value v,
                      ArrayRef<ReassociationIndices> groups) {
  return b.create<tensor::CollapseShapeOp>(loc, collapsed(typeOf(v), groups),
                                           v, groups);
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// The input gradient by taps, where dy is much smaller than dx (a strided
/// convolution, or a small image under a large kernel): the padded and
/// dilated dy would be mostly zeros, convolved all the same (deep_cnn.nn's
/// third layer: a 5 x 5 dx from a 3 x 3 dy, 225 taps of which 81 are not
/// on zeros; a stride of 2 puts 3 zeros around each element). Instead
/// Y = dy W^T, [N * OH * OW, F] x [F, KH * KW * C]: only the products that
/// count, as one matmul (nnc-tile-and-vectorize's dy W^T, packed panels of
/// W); then each tap (kh, kw) adds its [N, OH', OW', C] slice of Y to the
/// strided slice of dx it lands on (OH' x OW': the outputs whose tap falls
/// inside dx), in place.
static LogicalResult lowerConvInputGradByTaps(Conv2DInputGradOp op,
                                              PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value dy = op.getGrad(), w = op.getFilter();
  RankedTensorType out = op.getType(), gt = typeOf(dy), ft = typeOf(w);
  for (RankedTensorType t : {out, gt})
    for (int64_t d = 1; d < 4; ++d)
      if (t.isDynamicDim(d))
        return failure();
  if (!ft.hasStaticShape())
    return failure();
  int64_t h = out.getDimSize(1), wd = out.getDimSize(2),
          ch = out.getDimSize(3);
  int64_t oh = gt.getDimSize(1), ow = gt.getDimSize(2), f = gt.getDimSize(3);
  int64_t kh = ft.getDimSize(0), kw = ft.getDimSize(1);
  // Dense is as good where dy covers at least half of dx's positions
  // with stride 1 (same padding, or a valid one over a larger image).
  ArrayRef<int64_t> strides = op.getStrides(), pad = op.getPadding();
  if (strides[0] == 1 && strides[1] == 1 && h * wd < 2 * oh * ow)
    return failure();
  Type el = out.getElementType();
  Value flatDy = collapse(rw, loc, dy, {{0, 1, 2}, {3}});
  Value flatW = collapse(rw, loc, w, {{0, 1, 2}, {3}}); // [KH*KW*C, F]
  int64_t taps = kh * kw * ch;
  Value wT = rw.create<linalg::TransposeOp>(
                   loc, flatW,
                   rw.create<tensor::EmptyOp>(
                         loc, ArrayRef<int64_t>{f, taps}, el)
                       .getResult(),
                   ArrayRef<int64_t>{1, 0})
                 .getResult()[0];
  LinalgBuilder fb(rw, loc, {flatDy});
  auto yType = RankedTensorType::get({ShapedType::kDynamic, taps}, el);
  Value y = rw.create<linalg::MatmulOp>(loc, ValueRange{flatDy, wT},
                                        ValueRange{fb.filled(yType, 0)})
                .getResult(0);
  auto y6Type = RankedTensorType::get(
      {ShapedType::kDynamic, oh, ow, kh, kw, ch}, el);
  Value y6 = rw.create<tensor::ExpandShapeOp>(
      loc, y6Type, y,
      SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
  // Image by image (one parallel loop, its image's dx in L1), each tap's
  // slice of Y added to the strided slice of dx it lands on.
  LinalgBuilder lb(rw, loc, {dy});
  Value n = lb.batch();
  auto idx = [&](int64_t v) -> OpFoldResult { return rw.getIndexAttr(v); };
  Value work = rw.create<arith::MulIOp>(
      loc, n, rw.create<arith::ConstantIndexOp>(loc, oh * ow * taps));
  auto forall = rw.create<scf::ForallOp>(
      loc, ArrayRef<OpFoldResult>{n}, ValueRange{lb.empty(out)},
      std::nullopt);
  OpBuilder::InsertionGuard guard(rw);
  rw.setInsertionPointToStart(forall.getBody());
  rw.create<nnc::ParallelWorkOp>(loc, work);
  Value img = forall.getInductionVar(0);
  SmallVector<OpFoldResult> imageAt = {img, idx(0), idx(0), idx(0)};
  SmallVector<OpFoldResult> imageSizes = {idx(1), idx(h), idx(wd), idx(ch)};
  SmallVector<OpFoldResult> ones(4, idx(1));
  auto imageType = RankedTensorType::get({h, wd, ch}, el);
  Value mine = rw.create<linalg::FillOp>(
                     loc, lb.scalar(el, 0),
                     rw.create<tensor::ExtractSliceOp>(
                           loc, imageType, forall.getRegionIterArgs()[0],
                           imageAt, imageSizes, ones)
                         .getResult())
                   .getResult(0);
  // The outputs o in [lo, hi) of a dim whose tap t lands inside dx:
  // 0 <= o * stride + t - before < size.
  auto range = [](int64_t outs, int64_t t, int64_t stride, int64_t before,
                  int64_t size) {
    int64_t lo = 0, hi = outs;
    while (lo < outs && lo * stride + t - before < 0)
      ++lo;
    while (hi > lo && (hi - 1) * stride + t - before >= size)
      --hi;
    return std::make_pair(lo, hi);
  };
  // Taps whose outputs land in the same ranges go in one loop (static
  // slice sizes, offsets from the loop's variables): unrolled, deep_cnn's
  // 9 taps of 3 x 3 x 128 made one block of ~2,000 instructions that
  // LLVM's schedulers took 0.8 s over. Runs of consecutive kh (kw) with
  // the same row (column) range.
  auto runs = [&](int64_t k, int64_t outs, int64_t stride, int64_t before,
                  int64_t size) {
    SmallVector<std::tuple<int64_t, int64_t, int64_t, int64_t>> out;
    for (int64_t t = 0; t < k; ++t) {
      auto [lo, hi] = range(outs, t, stride, before, size);
      if (lo == hi)
        continue;
      if (!out.empty() && std::get<1>(out.back()) == t &&
          std::get<2>(out.back()) == lo && std::get<3>(out.back()) == hi)
        std::get<1>(out.back()) = t + 1;
      else
        out.push_back({t, t + 1, lo, hi});
    }
    return out; // [first tap, last tap + 1, lo, hi)
  };
  auto rowRuns = runs(kh, oh, strides[0], pad[0], h);
  auto colRuns = runs(kw, ow, strides[1], pad[2], wd);
  MLIRContext *ctx = rw.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(3, ctx);
  SmallVector<utils::IteratorType> parallel(3, utils::IteratorType::parallel);
  auto c = [&](int64_t v) -> Value {
    return rw.create<arith::ConstantIndexOp>(loc, v);
  };
  // dx row (column) of output r0 under tap t: r0 * stride + t - before.
  auto at = [&](int64_t r0, int64_t stride, int64_t before, Value t) {
    return rw.create<arith::AddIOp>(loc, t, c(r0 * stride - before))
        .getResult();
  };
  for (const auto &rowRun : rowRuns)
    for (const auto &colRun : colRuns) {
      // Plain variables: the lambdas below capture them (a structured
      // binding is not capturable before C++20).
      int64_t i0, i1, r0, r1, j0, j1, c0, c1;
      std::tie(i0, i1, r0, r1) = rowRun;
      std::tie(j0, j1, c0, c1) = colRun;
      auto sliceType = RankedTensorType::get({r1 - r0, c1 - c0, ch}, el);
      SmallVector<OpFoldResult> sizes = {idx(r1 - r0), idx(c1 - c0),
                                         idx(ch)};
      SmallVector<OpFoldResult> steps = {idx(strides[0]), idx(strides[1]),
                                         idx(1)};
      mine = loop(rw, loc, c(i0), c(i1), mine,
                  [&](OpBuilder &, Value i, Value mine) {
        return loop(rw, loc, c(j0), c(j1), mine,
                    [&](OpBuilder &, Value j, Value mine) -> Value {
          Value src = rw.create<tensor::ExtractSliceOp>(
              loc, sliceType, y6,
              SmallVector<OpFoldResult>{img, idx(r0), idx(c0), i, j, idx(0)},
              SmallVector<OpFoldResult>{idx(1), idx(r1 - r0), idx(c1 - c0),
                                        idx(1), idx(1), idx(ch)},
              SmallVector<OpFoldResult>(6, idx(1)));
          SmallVector<OpFoldResult> to = {at(r0, strides[0], pad[0], i),
                                          at(c0, strides[1], pad[2], j),
                                          idx(0)};
          Value dst = rw.create<tensor::ExtractSliceOp>(loc, sliceType, mine,
                                                        to, sizes, steps);
          Value sum =
              rw.create<linalg::GenericOp>(
                    loc, TypeRange{sliceType}, ValueRange{src},
                    ValueRange{dst}, ArrayRef<AffineMap>{id, id}, parallel,
                    [](OpBuilder &b, Location l, ValueRange a) {
                      b.create<linalg::YieldOp>(
                          l, ValueRange{
                                 b.create<arith::AddFOp>(l, a[1], a[0])});
                    })
                  .getResult(0);
          return rw.create<tensor::InsertSliceOp>(loc, sum, mine, to, sizes,
                                                  steps);
        });
      });
    }
  rw.setInsertionPointToStart(forall.getTerminator().getBody());
  rw.create<tensor::ParallelInsertSliceOp>(
      loc, mine, forall.getRegionIterArgs()[0], imageAt, imageSizes, ones);
  Value dx = forall.getResult(0);
  rw.replaceOp(op, dx);
  return success();
}

static LogicalResult lowerConvInputGrad(Conv2DInputGradOp op,
                                        PatternRewriter &rw, bool byTaps) {
  if (byTaps && succeeded(lowerConvInputGradByTaps(op, rw)))
    return success();
  // dx = conv(dilate(dy, strides), flip(w)) with stride 1: output row i
  // takes the taps kh of the rows oh with oh * stride + kh = i + top.
  Location loc = op.getLoc();
  Value dy = op.getGrad(), w = op.getFilter();
  RankedTensorType out = op.getType(), gt = typeOf(dy), ft = typeOf(w);
  Type el = out.getElementType();
  ArrayRef<int64_t> strides = op.getStrides(), pad = op.getPadding();
  LinalgBuilder lb(rw, loc, {dy});
  // Per spatial dim: pad the dilated gradient by k - 1 - before (and after,
  // plus the input rows no window reaches); a negative pad is a crop of the
  // convolution's result instead.
  int64_t low[2], high[2], crop[2], convSize[2], dilated[2];
  for (int d = 0; d < 2; ++d) {
    int64_t in = out.getDimSize(1 + d), k = ft.getDimSize(d);
    int64_t o = gt.getDimSize(1 + d), s = strides[d];
    int64_t before = pad[2 * d], after = pad[2 * d + 1];
    int64_t unreached = in + before + after - ((o - 1) * s + k);
    int64_t lo = k - 1 - before, hi = k - 1 - after + unreached;
    low[d] = std::max<int64_t>(lo, 0);
    high[d] = std::max<int64_t>(hi, 0);
    crop[d] = low[d] - lo;
    convSize[d] = in + crop[d] + (high[d] - hi);
    dilated[d] = (o - 1) * s + 1;
  }
  Value padded;
  if (strides[0] == 1 && strides[1] == 1) {
    padded = padNHWC(rw, loc, dy, {low[0], high[0], low[1], high[1]}, 0.0);
  } else {
    auto type = RankedTensorType::get(
        {gt.getDimSize(0), low[0] + dilated[0] + high[0],
         low[1] + dilated[1] + high[1], gt.getDimSize(3)},
        el);
    SmallVector<OpFoldResult> offsets = {
        rw.getIndexAttr(0), rw.getIndexAttr(low[0]), rw.getIndexAttr(low[1]),
        rw.getIndexAttr(0)};
    SmallVector<OpFoldResult> steps = {
        rw.getIndexAttr(1), rw.getIndexAttr(strides[0]),
        rw.getIndexAttr(strides[1]), rw.getIndexAttr(1)};
    padded = rw.create<tensor::InsertSliceOp>(
        loc, dy, lb.filled(type, 0), offsets, lb.mixedSizes(gt), steps);
  }
  // The filter flipped in H and W, input and output channels swapped:
  // [KH, KW, F, C]. (A static op, never tiled: its map may count down.)
  int64_t kh = ft.getDimSize(0), kw = ft.getDimSize(1);
  auto flippedType = RankedTensorType::get(
      {kh, kw, ft.getDimSize(3), ft.getDimSize(2)}, el);
  AffineExpr d0 = rw.getAffineDimExpr(0), d1 = rw.getAffineDimExpr(1);
  AffineMap flip =
      AffineMap::get(4, 0,
                     {-d0 + (kh - 1), -d1 + (kw - 1), rw.getAffineDimExpr(3),
                      rw.getAffineDimExpr(2)},
                     rw.getContext());
  Value flipped = lb.mapped(flippedType, {w}, {flip},
                            [](OpBuilder &, Location, ValueRange a) {
                              return a[0];
                            });
  auto convType = RankedTensorType::get(
      {out.getDimSize(0), convSize[0], convSize[1], out.getDimSize(3)}, el);
  Value conv = rw.create<linalg::Conv2DNhwcHwcfOp>(
                     loc, convType, ValueRange{padded, flipped},
                     ValueRange{lb.filled(convType, 0)},
                     i64Vector(rw, {1, 1}), i64Vector(rw, {1, 1}))
                   .getResult(0);
  if (convType != out) {
    SmallVector<OpFoldResult> offsets = {
        rw.getIndexAttr(0), rw.getIndexAttr(crop[0]), rw.getIndexAttr(crop[1]),
        rw.getIndexAttr(0)};
    SmallVector<OpFoldResult> ones(4, rw.getIndexAttr(1));
    conv = rw.create<tensor::ExtractSliceOp>(loc, out, conv, offsets,
                                             lb.mixedSizes(out), ones);
  }
  rw.replaceOp(op, conv);
  return success();
}

static LogicalResult lowerConvFilterGrad(Conv2DFilterGradOp op,
                                         PatternRewriter &rw) {
  // dw[kh, kw, c, f] = sum over (n, oh, ow) of
  //   x[n, oh * sh + kh, ow * sw + kw, c] * dy[n, oh, ow, f],
  // over (kh, kw, c, f | n, oh, ow), reading x through its windows in
  // place: nnc-tile-and-vectorize splits the images among threads, each
  // accumulating register tiles of its own partial gradient.
  Location loc = op.getLoc();
  RankedTensorType out = op.getType();
  ArrayRef<int64_t> strides = op.getStrides();
  LinalgBuilder lb(rw, loc, {op.getInput()});
  Value x = padNHWC(rw, loc, op.getInput(), op.getPadding(), 0.0);
  MLIRContext *ctx = rw.getContext();
  auto d = [&](unsigned i) { return rw.getAffineDimExpr(i); };
  AffineMap windows = AffineMap::get(
      7, 0, {d(4), d(5) * strides[0] + d(0), d(6) * strides[1] + d(1), d(2)},
      ctx);
  AffineMap pixels = AffineMap::get(7, 0, {d(4), d(5), d(6), d(3)}, ctx);
  AffineMap filter = AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx);
  SmallVector<utils::IteratorType> iterators(4,
                                             utils::IteratorType::parallel);
  iterators.append(3, utils::IteratorType::reduction);
  auto generic = rw.create<linalg::GenericOp>(
      loc, TypeRange{out}, ValueRange{x, op.getGrad()},
      ValueRange{lb.filled(out, 0)},
      ArrayRef<AffineMap>{windows, pixels, filter}, iterators,
      [](OpBuilder &b, Location l, ValueRange a) {
        Value product = b.create<arith::MulFOp>(l, a[0], a[1]);
        b.create<linalg::YieldOp>(
            l, ValueRange{b.create<arith::AddFOp>(l, a[2], product)});
      });
  rw.replaceOp(op, generic.getResult(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// An empty [a, b] tensor read with the map (d0, ..., d5) -> (d3, d4): gives
/// a window's loops over dims 3 and 4 their sizes, which its other maps
/// cannot (as the window operand of linalg's pooling ops does).
static std::pair<Value, AffineMap> windowShape(OpBuilder &b, Location loc,
                                               int64_t a, int64_t c,
                                               Type el) {
  Value shape = b.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{a, c}, el);
  AffineMap map = AffineMap::get(
      6, 0, {b.getAffineDimExpr(3), b.getAffineDimExpr(4)}, b.getContext());
  return {shape, map};
}

/// The gradient of a pooling of `input` (its type): dx[n, h, w, c] is the
/// sum of `pick(tap, values)` over the windows (oh, ow) that hold (h, w),
/// at tap = kh * KW + kw of the window, where `values` are the elements at
/// (n, oh, ow, c) of the NHWC `pooled` tensors.
///
/// Row hp of the padded input is in the windows q - j, q = hp / stride, for
/// j < ceil(K / stride): the sum runs over those candidates (reversed, so
/// that the indexing maps have no constant terms nor negative coefficients,
/// which linalg's tiling assumes), with `pooled` padded by `padValues` where
/// they fall outside. Computed over the padded input's rows, then sliced.
static Value gatherWindows(
    LinalgBuilder &lb, RankedTensorType input, ValueRange pooled,
    ArrayRef<double> padValues, ArrayRef<int64_t> win,
    ArrayRef<int64_t> strides, ArrayRef<int64_t> pad,
    llvm::function_ref<Value(OpBuilder &, Location, Value, ValueRange)> pick) {
  OpBuilder &b = lb.b;
  RankedTensorType pt = typeOf(pooled.front());
  int64_t candidates[2], extent[2], padHigh[2];
  for (int d = 0; d < 2; ++d) {
    candidates[d] = (win[d] + strides[d] - 1) / strides[d];
    extent[d] = pad[2 * d] + input.getDimSize(1 + d);
    int64_t last = (extent[d] - 1) / strides[d];
    padHigh[d] = std::max<int64_t>(last - (pt.getDimSize(1 + d) - 1), 0);
  }
  SmallVector<Value> padded;
  for (auto [v, value] : llvm::zip(pooled, padValues))
    padded.push_back(padNHWC(b, lb.loc, v,
                             {candidates[0] - 1, padHigh[0],
                              candidates[1] - 1, padHigh[1]},
                             value));
  // Space [N, top + H, left + W, J, I, C], reduced over the candidates.
  Type el = input.getElementType();
  auto space = RankedTensorType::get({input.getDimSize(0), extent[0],
                                      extent[1], candidates[0], candidates[1],
                                      input.getDimSize(3)},
                                     el);
  auto d = [&](unsigned i) { return b.getAffineDimExpr(i); };
  AffineMap map = AffineMap::get(
      6, 0,
      {d(0), d(1).floorDiv(strides[0]) + d(3),
       d(2).floorDiv(strides[1]) + d(4), d(5)},
      b.getContext());
  SmallVector<AffineMap> maps(padded.size(), map);
  auto [shape, shapeMap] =
      windowShape(b, lb.loc, candidates[0], candidates[1], el);
  padded.push_back(shape);
  maps.push_back(shapeMap);
  Value dx = lb.reduce(
      space, padded, maps, {3, 4}, 0.0,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        // Candidate i of row hp is window q - j, j = J - 1 - i, where hp
        // is at tap hp % stride + j * stride: outside the window when that
        // is not below its size.
        Value taps[2];
        Value valid;
        for (int k = 0; k < 2; ++k) {
          Value h = nb.create<linalg::IndexOp>(l, 1 + k);
          Value j = nb.create<arith::SubIOp>(
              l, index(nb, l, candidates[k] - 1),
              nb.create<linalg::IndexOp>(l, 3 + k));
          Value s = index(nb, l, strides[k]);
          taps[k] = nb.create<arith::AddIOp>(
              l, nb.create<arith::RemUIOp>(l, h, s),
              nb.create<arith::MulIOp>(l, j, s));
          Value inside = nb.create<arith::CmpIOp>(
              l, arith::CmpIPredicate::ult, taps[k], index(nb, l, win[k]));
          valid = valid ? nb.create<arith::AndIOp>(l, valid, inside) : inside;
        }
        Value tap = nb.create<arith::AddIOp>(
            l, nb.create<arith::MulIOp>(l, taps[0], index(nb, l, win[1])),
            taps[1]);
        Value picked = pick(nb, l, tap, a.drop_back(2));
        Value term =
            nb.create<arith::SelectOp>(l, valid, picked, cst(nb, l, el, 0));
        return nb.create<arith::AddFOp>(l, term, a.back());
      });
  if (pad[0] == 0 && pad[2] == 0)
    return dx;
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                       b.getIndexAttr(pad[0]),
                                       b.getIndexAttr(pad[2]),
                                       b.getIndexAttr(0)};
  SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
  return b.create<tensor::ExtractSliceOp>(lb.loc, input, dx, offsets,
                                          lb.mixedSizes(input), ones);
}

/// A window tap as a float, through i32 (vectors of i64 have no
/// conversion to float with AVX2).
static Value indexToFloat(OpBuilder &b, Location l, Value i, Type el) {
  return b.create<arith::SIToFPOp>(
      l, el, b.create<arith::IndexCastOp>(l, b.getI32Type(), i));
}

/// The window tap kh * KW + kw in a linalg body whose dims `kh` and `kw`
/// run over the window.
static Value windowTap(OpBuilder &b, Location l, ArrayRef<int64_t> win,
                       unsigned kh, unsigned kw) {
  return b.create<arith::AddIOp>(
      l,
      b.create<arith::MulIOp>(l, b.create<linalg::IndexOp>(l, kh),
                              index(b, l, win[1])),
      b.create<linalg::IndexOp>(l, kw));
}

/// The shapes of pooling whose windows tile the input (stride = window,
/// no padding): the input elements under some window ([N, OH * KH,
/// OW * KW, C]: rows and columns that no window covers cut off) and the
/// same seen as [N, OH, KH, OW, KW, C].
static std::pair<RankedTensorType, RankedTensorType>
tiledWindowTypes(RankedTensorType in, RankedTensorType yt,
                 ArrayRef<int64_t> win) {
  Type el = in.getElementType();
  auto covered = RankedTensorType::get(
      {in.getDimSize(0), yt.getDimSize(1) * win[0],
       yt.getDimSize(2) * win[1], in.getDimSize(3)},
      el);
  auto space = RankedTensorType::get({in.getDimSize(0), yt.getDimSize(1),
                                      win[0], yt.getDimSize(2), win[1],
                                      in.getDimSize(3)},
                                     el);
  return {covered, space};
}

Value nnc::firstMaxTaps(LinalgBuilder &lb, Value input, Value output,
                        ArrayRef<int64_t> win) {
  OpBuilder &b = lb.b;
  Location loc = lb.loc;
  RankedTensorType in = typeOf(input);
  Type el = in.getElementType();
  auto [covered, space] = tiledWindowTypes(in, typeOf(output), win);
  SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
      ones(4, b.getIndexAttr(1));
  Value x = input;
  if (covered != in)
    x = b.create<tensor::ExtractSliceOp>(loc, covered, x, zeros,
                                         lb.mixedSizes(covered), ones);
  SmallVector<ReassociationIndices> groups = {{0}, {1, 2}, {3, 4}, {5}};
  Value windows = b.create<tensor::ExpandShapeOp>(loc, space, x, groups);
  AffineMap all = b.getMultiDimIdentityMap(6);
  AffineMap pooled = lb.dropMap(6, {2, 4});
  double none = (double)(win[0] * win[1]);
  return lb.reduce(
      space, {windows, output}, {all, pooled}, {2, 4}, none,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value hit = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ,
                                             a[0], a[1]);
        Value candidate = nb.create<arith::SelectOp>(
            l, hit, indexToFloat(nb, l, windowTap(nb, l, win, 2, 4), el),
            cst(nb, l, el, none));
        return nb.create<arith::MinimumFOp>(l, candidate, a[2]);
      });
}

/// maxpool2d_grad where the windows tile the input (stride = window, no
/// padding: 2 x 2 pooling): each input element is in one window, so the
/// input seen as [N, OH, KH, OW, KW, C] lines up with the pooled
/// [N, OH, OW, C] by projections, and both steps are elementwise ops and
/// reductions that vectorize: each window's first maximum (firstMaxTaps),
/// then the gradient where an element is it. gatherWindows' general form
/// reads through window maps, which stay scalar code with index
/// arithmetic (10% of the CNN's step).
static Value maxPoolGradTiled(LinalgBuilder &lb, MaxPool2DGradOp op) {
  OpBuilder &b = lb.b;
  Location loc = lb.loc;
  RankedTensorType in = op.getType();
  Type el = in.getElementType();
  ArrayRef<int64_t> win = op.getWindow();
  auto [covered, space] = tiledWindowTypes(in, typeOf(op.getOutput()), win);
  Value first = firstMaxTaps(lb, op.getInput(), op.getOutput(), win);
  AffineMap pooled = lb.dropMap(6, {2, 4});
  auto tap = [&](OpBuilder &nb, Location l) {
    return indexToFloat(nb, l, windowTap(nb, l, win, 2, 4), el);
  };
  Value routed = lb.mapped(
      space, {first, op.getGrad()}, {pooled, pooled},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value mine = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ,
                                              a[0], tap(nb, l));
        return nb.create<arith::SelectOp>(l, mine, a[1], cst(nb, l, el, 0));
      });
  SmallVector<ReassociationIndices> groups = {{0}, {1, 2}, {3, 4}, {5}};
  Value dx = b.create<tensor::CollapseShapeOp>(loc, covered, routed, groups);
  return padNHWC(b, loc, dx,
                 {0, in.getDimSize(1) - covered.getDimSize(1), 0,
                  in.getDimSize(2) - covered.getDimSize(2)},
                 0.0);
}

static LogicalResult lowerMaxPoolGrad(MaxPool2DGradOp op,
                                      PatternRewriter &rw) {
  Location loc = op.getLoc();
  RankedTensorType in = op.getType();
  Type el = in.getElementType();
  ArrayRef<int64_t> win = op.getWindow(), strides = op.getStrides(),
                    pad = op.getPadding();
  LinalgBuilder lb(rw, loc, {op.getInput()});
  if (win == strides && llvm::all_of(pad, [](int64_t p) { return p == 0; })) {
    rw.replaceOp(op, maxPoolGradTiled(lb, op));
    return success();
  }
  // 1. Each window's first tap (in window order) equal to its maximum, as
  //    a float; padded positions (-inf) never are.
  Value x = padNHWC(rw, loc, op.getInput(), pad,
                    -std::numeric_limits<double>::infinity());
  RankedTensorType yt = typeOf(op.getOutput());
  auto space = RankedTensorType::get({yt.getDimSize(0), yt.getDimSize(1),
                                      yt.getDimSize(2), win[0], win[1],
                                      yt.getDimSize(3)},
                                     el);
  auto d = [&](unsigned i) { return rw.getAffineDimExpr(i); };
  AffineMap window = AffineMap::get(
      6, 0, {d(0), d(1) * strides[0] + d(3), d(2) * strides[1] + d(4), d(5)},
      rw.getContext());
  AffineMap pooled = lb.dropMap(6, {3, 4});
  double none = (double)(win[0] * win[1]);
  auto [shape, shapeMap] = windowShape(rw, loc, win[0], win[1], el);
  Value first = lb.reduce(
      space, {x, op.getOutput(), shape}, {window, pooled, shapeMap}, {3, 4},
      none,
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value hit =
            b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, a[0], a[1]);
        Value candidate = b.create<arith::SelectOp>(
            l, hit, indexToFloat(b, l, windowTap(b, l, win, 3, 4), el),
            cst(b, l, el, none));
        return b.create<arith::MinimumFOp>(l, candidate, a[3]);
      });
  // 2. Each input element gets the gradients of the windows whose first
  //    maximum it is.
  rw.replaceOp(op, gatherWindows(
                       lb, in, {first, op.getGrad()}, {-1.0, 0.0}, win,
                       strides, pad,
                       [&](OpBuilder &b, Location l, Value tap, ValueRange a) {
                         Value mine = b.create<arith::CmpFOp>(
                             l, arith::CmpFPredicate::OEQ, a[0],
                             indexToFloat(b, l, tap, el));
                         return b.create<arith::SelectOp>(l, mine, a[1],
                                                          cst(b, l, el, 0));
                       }));
  return success();
}

static LogicalResult lowerAvgPoolGrad(AvgPool2DGradOp op,
                                      PatternRewriter &rw) {
  RankedTensorType in = op.getType();
  ArrayRef<int64_t> win = op.getWindow(), strides = op.getStrides(),
                    pad = op.getPadding();
  LinalgBuilder lb(rw, op.getLoc(), {op.getGrad()});
  Value share =
      divideByWindowCounts(lb, op.getGrad(), in, win, strides, pad);
  rw.replaceOp(op, gatherWindows(lb, in, {share}, {0.0}, win, strides, pad,
                                 [](OpBuilder &, Location, Value,
                                    ValueRange a) { return a[0]; }));
  return success();
}

//===----------------------------------------------------------------------===//
// Max and embedding
//===----------------------------------------------------------------------===//

static LogicalResult lowerReduceMaxGrad(ReduceMaxGradOp op,
                                        PatternRewriter &rw) {
  // dx = (x == max) * dy / count(x == max) over the reduced axes.
  Value x = op.getInput();
  RankedTensorType t = op.getType();
  Type el = t.getElementType();
  ArrayRef<int64_t> axes = op.getAxes();
  LinalgBuilder lb(rw, op.getLoc(), {x});
  AffineMap id = rw.getMultiDimIdentityMap(t.getRank());
  AffineMap reduced = lb.reducedMap(t, typeOf(op.getOutput()), axes);
  auto isMax = [](OpBuilder &b, Location l, ValueRange a) -> Value {
    return b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, a[0], a[1]);
  };
  Value count = lb.reduce(t, {x, op.getOutput()}, {id, reduced}, axes, 0.0,
                          [&](OpBuilder &b, Location l, ValueRange a) {
                            Value one = b.create<arith::UIToFPOp>(
                                l, el, isMax(b, l, a));
                            return b.create<arith::AddFOp>(l, one, a[2]);
                          });
  rw.replaceOp(op, lb.mapped(t, {x, op.getOutput(), op.getGrad(), count},
                             {id, reduced, reduced,
                              lb.dropMap(t.getRank(), axes)},
                             [&](OpBuilder &b, Location l, ValueRange a) {
                               Value share =
                                   b.create<arith::DivFOp>(l, a[2], a[3]);
                               return b.create<arith::SelectOp>(
                                   l, isMax(b, l, a), share, cst(b, l, el, 0));
                             }));
  return success();
}

static LogicalResult lowerEmbeddingGrad(EmbeddingGradOp op,
                                        PatternRewriter &rw) {
  // for p in ids: table[clamp(ids[p])] += grad[p], one row at a time.
  Location loc = op.getLoc();
  RankedTensorType out = op.getType();
  Value ids = op.getIds(), grad = op.getGrad();
  int64_t vocab = out.getDimSize(0), dim = out.getDimSize(1);
  int64_t rank = typeOf(ids).getRank();
  if (rank != 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < rank; ++i)
      all.push_back(i);
    ids = collapse(rw, loc, ids, {all});
    grad = collapse(rw, loc, grad, {all, {rank}});
  }
  LinalgBuilder lb(rw, loc, {ids});
  Value zero = index(rw, loc, 0), one = index(rw, loc, 1);
  Value count = rw.create<tensor::DimOp>(loc, ids, 0);
  auto row = RankedTensorType::get({dim}, out.getElementType());
  auto loop = rw.create<scf::ForOp>(
      loc, zero, count, one, ValueRange{lb.filled(out, 0)},
      [&](OpBuilder &b, Location l, Value p, ValueRange acc) {
        Value id = b.create<arith::IndexCastOp>(
            l, b.getIndexType(), b.create<tensor::ExtractOp>(l, ids, p));
        id = b.create<arith::MinSIOp>(
            l, b.create<arith::MaxSIOp>(l, id, zero), index(b, l, vocab - 1));
        SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1),
                                           b.getIndexAttr(dim)};
        SmallVector<OpFoldResult> ones(2, b.getIndexAttr(1));
        Value src = b.create<tensor::ExtractSliceOp>(
            l, row, grad, SmallVector<OpFoldResult>{p, b.getIndexAttr(0)},
            sizes, ones);
        SmallVector<OpFoldResult> at = {id, b.getIndexAttr(0)};
        Value dst = b.create<tensor::ExtractSliceOp>(l, row, acc[0], at,
                                                     sizes, ones);
        AffineMap map = b.getMultiDimIdentityMap(1);
        Value sum =
            b.create<linalg::GenericOp>(
                 l, row, ValueRange{src}, ValueRange{dst},
                 ArrayRef<AffineMap>{map, map},
                 ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
                 [](OpBuilder &nb, Location nl, ValueRange a) {
                   nb.create<linalg::YieldOp>(
                       nl, ValueRange{nb.create<arith::AddFOp>(nl, a[0],
                                                               a[1])});
                 })
                .getResult(0);
        Value updated = b.create<tensor::InsertSliceOp>(l, sum, acc[0], at,
                                                        sizes, ones);
        b.create<scf::YieldOp>(l, updated);
      });
  rw.replaceOp(op, loop.getResult(0));
  return success();
}

namespace {
struct LowerConvInputGrad : OpRewritePattern<Conv2DInputGradOp> {
  LowerConvInputGrad(MLIRContext *ctx, bool byTaps)
      : OpRewritePattern(ctx), byTaps(byTaps) {}
  LogicalResult matchAndRewrite(Conv2DInputGradOp op,
                                PatternRewriter &rw) const override {
    return lowerConvInputGrad(op, rw, byTaps);
  }
  bool byTaps;
};
} // namespace

void nnc::populateLowerGradientsPatterns(RewritePatternSet &patterns,
                                         ConversionTarget &target,
                                         bool inputGradByTaps) {
  target.addLegalDialect<scf::SCFDialect>();
  patterns.add<LowerConvInputGrad>(patterns.getContext(), inputGradByTaps);
  patterns.add(lowerConvFilterGrad);
  patterns.add(lowerMaxPoolGrad);
  patterns.add(lowerAvgPoolGrad);
  patterns.add(lowerReduceMaxGrad);
  patterns.add(lowerEmbeddingGrad);
}
