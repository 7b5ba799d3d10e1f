//===- WinogradConv.cpp - 3 x 3 convolutions as Winograd F(m x m, 3 x 3) -===//
//
// A 3 x 3, stride-1 convolution computes each m x m block of its output
// from an (m + 2) x (m + 2) block of its input (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016), m = 2 or 4:
//
//   U[xi, nu, c, f] = (G g[:, :, c, f] G^T)[xi, nu]       (the filter, once)
//   V[xi, nu, t, c] = (B^T d_t[:, :, c] B)[xi, nu]        (each input tile t)
//   M[xi, nu, t, f] = sum_c V[xi, nu, t, c] U[xi, nu, c, f]  (a matmul each)
//   y_t[:, :, f]    = A^T M[:, :, t, f] A                 (m x m outputs)
//
// F(2 x 2, 3 x 3): 16 multiply-adds per input and output channel for 4
// outputs instead of 36 (2.25x fewer); F(4 x 4, 3 x 3): 36 for 16
// instead of 144 (4x fewer), for larger transforms and a larger rounding
// error (the transforms scale terms by up to 5 and 8 and cancel them:
// ~5e-6 of the output's largest element in f32 against F(2 x 2)'s 3e-7,
// test_ops.py). F(4 x 4) where its U (36 positions) fits 512 KiB and it
// computes at most 3/4 of F(2 x 2)'s products (an output size that m
// does not divide computes a row or column of tiles partly dropped).
// The transforms are written out as sums and FMAs with constants,
// vectorized over the channels.
//
// The batch runs in kBatchParts parallel parts (BatchParts.h), each going
// through its images a block of rows of tiles at a time: the whole image
// where its V and M fit 256 KiB (U read once an image), else a row of
// tiles (m output rows). The block's input tiles are transformed into
// V [P, T, C] (P = (m + 2)^2 positions, T tiles), the P matmuls run as
// register tiles (rows of V by vectors of U, accumulated over C) into
// M [P, T, F], and the output transform adds the bias and applies relu
// when the convolution's only reader is a bias add (and its only one a
// relu). Each part allocates its V and M once (on the stack when small:
// one per iteration of a loop over rows was never released before the
// loop ended), so they stay in L1/L2 and the filter's U (at most 512 KiB)
// in L2. Runs before nnc-lower-to-linalg on the CPU at -O1 and above, after
// nnc-route-pool-gradients (whose match reads the relu).
//
// The input gradient of a stride-1 3 x 3 convolution is such a
// convolution too, of dy padded by 2 - padding with the filter rotated
// by 180 degrees and C and F swapped: the same loops with the filter
// transposed first and its taps reversed in the transform.
//
// Its filter gradient is the transpose of the same algorithm (Lavin and
// Gray, section 5): dw = G^T (sum over the tiles t of V_t * A dy_t A^T) G,
// where dy_t is the m x m block of dy that tile t's outputs receive; the
// sum over the tiles of the batch is P matmuls [C, T] x [T, F], m chosen
// as for the forward. Each part of the batch accumulates its own dU,
// reduced in order at the end.
//
//===----------------------------------------------------------------------===//
#include "codegen/BatchParts.h"
#include "codegen/LinalgBuilder.h"
#include "codegen/Passes.h"
#include "ir/NncOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace nnc {
#define GEN_PASS_DEF_WINOGRADCONV
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {

/// Fewer input or output channels than this stay direct: the transforms'
/// additions would not be paid back (a first layer's C = 1).
constexpr int64_t kMinChannels = 16;
/// The transformed filter U is read once per row of tiles: larger ones
/// (deep_cnn's 128 -> 256 over 7 x 7: 2 MiB for 9 tiles an image) would
/// stream from memory and stay direct.
constexpr int64_t kMaxFilterBytes = 512 * 1024;

/// What a candidate computes.
enum class Kind {
  Forward,   // nnc.conv2d
  InputGrad, // nnc.conv2d_input_grad: the convolution of its padded
             // gradient with the flipped and transposed filter
  FilterGrad // nnc.conv2d_filter_grad
};

/// A convolution to rewrite, with the epilogue it absorbs.
struct Candidate {
  Operation *op;
  Value input;  // NHWC, before `pad`
  Value filter; // the op's [3, 3, C, F] (an input grad's is transposed
                // to [3, 3, F, C] by rewrite); a filter gradient's dy
  SmallVector<int64_t, 4> pad; // top, bottom, left, right
  Kind kind = Kind::Forward;
  AddOp bias = {};  // or null
  ReluOp relu = {}; // or null (only after a bias add)
};

/// A static 3 x 3 filter applied with stride 1.
static bool threeByThree(RankedTensorType w, ArrayRef<int64_t> strides) {
  return w.getRank() == 4 && w.hasStaticShape() && w.getDimSize(0) == 3 &&
         w.getDimSize(1) == 3 &&
         llvm::all_of(strides, [](int64_t s) { return s == 1; });
}

/// Whether a 3 x 3 stride-1 convolution of `in` (unpadded; static but
/// the batch) from c to f channels into `out` is worth its transforms.
static bool eligible(RankedTensorType in, RankedTensorType out, int64_t c,
                     int64_t f, int64_t vectorBits) {
  Type el = out.getElementType();
  if (!isa<FloatType>(el) || in.getRank() != 4 || out.getRank() != 4)
    return false;
  for (int64_t i = 1; i < 4; ++i)
    if (in.isDynamicDim(i) || out.isDynamicDim(i))
      return false;
  int64_t bytes = 16 * c * f * el.getIntOrFloatBitWidth() / 8;
  // Two tiles a row at least: a row of one is a matmul of one row.
  return c >= kMinChannels && f >= kMinChannels && bytes <= kMaxFilterBytes &&
         out.getDimSize(1) >= 2 && out.getDimSize(2) >= 3 && vectorBits >= 128;
}

static std::optional<Candidate> match(Conv2DOp conv, int64_t vectorBits) {
  RankedTensorType w = typeOf(conv.getFilter()), out = conv.getType();
  if (!threeByThree(w, conv.getStrides()))
    return std::nullopt;
  int64_t c = w.getDimSize(2), f = w.getDimSize(3);
  if (!eligible(typeOf(conv.getInput()), out, c, f, vectorBits))
    return std::nullopt;
  Candidate m{conv, conv.getInput(), conv.getFilter(),
              SmallVector<int64_t, 4>(conv.getPadding())};
  Value y = conv.getResult();
  if (!y.hasOneUse())
    return m;
  auto add = dyn_cast<AddOp>(*y.getUsers().begin());
  if (!add || add.getLhs() != y || add.getType() != out)
    return m;
  RankedTensorType bt = typeOf(add.getRhs());
  if (bt.getRank() != 1 || bt.getDimSize(0) != f)
    return m;
  m.bias = add;
  if (add.getResult().hasOneUse())
    m.relu = dyn_cast<ReluOp>(*add.getResult().getUsers().begin());
  return m;
}

/// The input gradient of a 3 x 3 stride-1 convolution is one too: dx =
/// conv(dy padded by 2 - pad on each side, the filter flipped in both
/// spatial dims with C and F swapped). Taken where the transforms' 16
/// products per 2 x 2 tile of dx and channel pair are at most 0.8 of the
/// 9 per element of dy that the direct forms compute at best (by taps,
/// skipping the padding): a dx much larger than dy is left to them.
static std::optional<Candidate> match(Conv2DInputGradOp op,
                                      int64_t vectorBits) {
  RankedTensorType w = typeOf(op.getFilter()), dy = typeOf(op.getGrad()),
                   dx = op.getType();
  if (!threeByThree(w, op.getStrides()) ||
      llvm::any_of(op.getPadding(), [](int64_t p) { return p > 2; }))
    return std::nullopt;
  // The convolution's C and F: here input channels F, output channels C.
  int64_t c = w.getDimSize(2), f = w.getDimSize(3);
  if (!eligible(dy, dx, f, c, vectorBits))
    return std::nullopt;
  int64_t tiles = ((dx.getDimSize(1) + 1) / 2) * ((dx.getDimSize(2) + 1) / 2);
  if (tiles * 16 * 10 > dy.getDimSize(1) * dy.getDimSize(2) * 9 * 8)
    return std::nullopt;
  Candidate m{op, op.getGrad(), op.getFilter(), {}, Kind::InputGrad};
  for (int64_t p : op.getPadding())
    m.pad.push_back(2 - p);
  return m;
}

/// The filter gradient of a 3 x 3 stride-1 convolution, dw = sum over
/// the tiles t of G^T (V_t * A dy_t A^T) G (elementwise): F(2 x 2)'s 16
/// products per 2 x 2 tile of dy and channel pair are at most 0.79 of the
/// direct form's 9 per element of dy for any dy eligible() takes (3 x 3:
/// 64 against 81), and F(4 x 4) is taken only where it computes fewer.
static std::optional<Candidate> match(Conv2DFilterGradOp op,
                                      int64_t vectorBits) {
  RankedTensorType w = op.getType();
  if (!threeByThree(w, op.getStrides()) ||
      !eligible(typeOf(op.getInput()), typeOf(op.getGrad()), w.getDimSize(2),
                w.getDimSize(3), vectorBits))
    return std::nullopt;
  return Candidate{op, op.getInput(), op.getGrad(),
                   SmallVector<int64_t, 4>(op.getPadding()),
                   Kind::FilterGrad};
}

/// Builds one convolution's loops.
struct Winograd {
  OpBuilder &b;
  Location loc;
  Type el;
  int64_t lanes;
  int64_t c, f;      // input and output channels
  int64_t ow;        // output width
  int64_t tw;        // tiles in a row: ceil(OW / tile)
  int64_t rowBlock;  // the matmuls' register tile: rows of V ...
  int64_t colBlock;  // ... by elements of U (whole vectors)
  int64_t tile = 2;  // outputs a tile side: F(tile x tile, 3 x 3)

  int64_t alpha() { return tile + 2; } // inputs a tile side
  int64_t positions() { return alpha() * alpha(); }

  Value idx(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value plus(Value x, int64_t v) {
    return v ? b.create<arith::AddIOp>(loc, x, idx(v)).getResult() : x;
  }
  Value times(Value x, int64_t v) {
    return b.create<arith::MulIOp>(loc, x, idx(v));
  }
  VectorType vec(ArrayRef<int64_t> shape) { return VectorType::get(shape, el); }

  // Sums where a null value is a zero term (an input outside the image).
  Value add(Value x, Value y) {
    if (!x || !y)
      return x ? x : y;
    return b.create<arith::AddFOp>(loc, x, y);
  }
  Value sub(Value x, Value y) {
    if (!y)
      return x;
    if (!x)
      return b.create<arith::NegFOp>(loc, y);
    return b.create<arith::SubFOp>(loc, x, y);
  }

  /// k x, or null for a null x.
  Value scale(double k, Value x) {
    if (!x)
      return x;
    auto t = cast<VectorType>(x.getType());
    return b.create<arith::MulFOp>(
        loc, x, b.create<vector::BroadcastOp>(loc, t, cst(b, loc, el, k)));
  }
  /// k x + y, null terms zero.
  Value axpy(double k, Value x, Value y) {
    if (!x || !y)
      return x ? scale(k, x) : y;
    auto t = cast<VectorType>(x.getType());
    return b.create<vector::FMAOp>(
        loc, b.create<vector::BroadcastOp>(loc, t, cst(b, loc, el, k)), x, y);
  }

  // The 1-D transforms of F(2, 3) and, for a tile of 4, of F(4, 3) (Lavin
  // and Gray's B^T, G and A^T for the points 0, +-1, +-2).
  SmallVector<Value> bt(ArrayRef<Value> d) { // B^T d: alpha -> alpha
    if (tile == 2)
      return {sub(d[0], d[2]), add(d[1], d[2]), sub(d[2], d[1]),
              sub(d[1], d[3])};
    Value s34 = add(d[3], d[4]), d43 = sub(d[4], d[3]);
    Value s12 = add(d[1], d[2]), d12 = sub(d[1], d[2]);
    Value d42 = sub(d[4], d[2]), d31 = sub(d[3], d[1]);
    return {axpy(4, d[0], axpy(-5, d[2], d[4])),
            axpy(-4, s12, s34),
            axpy(4, d12, d43),
            axpy(2, d31, d42),
            axpy(-2, d31, d42),
            axpy(4, d[1], axpy(-5, d[3], d[5]))};
  }
  SmallVector<Value> g(ArrayRef<Value> w) { // G w: 3 -> alpha
    Value outer = add(w[0], w[2]);
    if (tile == 2)
      return {w[0], scale(0.5, add(outer, w[1])),
              scale(0.5, sub(outer, w[1])), w[2]};
    Value quarterEnds = axpy(1.0 / 24, w[0], scale(1.0 / 6, w[2]));
    return {scale(0.25, w[0]),
            scale(-1.0 / 6, add(outer, w[1])),
            scale(-1.0 / 6, sub(outer, w[1])),
            axpy(1.0 / 12, w[1], quarterEnds),
            axpy(-1.0 / 12, w[1], quarterEnds),
            w[2]};
  }
  SmallVector<Value> at(ArrayRef<Value> m) { // A^T m: alpha -> tile
    if (tile == 2) {
      Value mid = add(m[1], m[2]);
      return {add(m[0], mid), sub(sub(m[1], m[2]), m[3])};
    }
    Value s12 = add(m[1], m[2]), d12 = sub(m[1], m[2]);
    Value s34 = add(m[3], m[4]), d34 = sub(m[3], m[4]);
    return {add(add(m[0], s12), s34), axpy(2, d34, d12), axpy(4, s34, s12),
            add(axpy(8, d34, d12), m[5])};
  }
  // The filter gradient's: A = (A^T)^T, G^T.
  SmallVector<Value> a(ArrayRef<Value> y) { // A y: tile -> alpha
    if (tile == 2)
      return {y[0], add(y[0], y[1]), sub(y[0], y[1]), sub(Value(), y[1])};
    Value even = add(y[0], y[2]), odd = add(y[1], y[3]);
    Value even4 = axpy(4, y[2], y[0]), odd4 = axpy(8, y[3], scale(2, y[1]));
    return {y[0], add(even, odd), sub(even, odd), add(even4, odd4),
            sub(even4, odd4), y[3]};
  }
  SmallVector<Value> gt(ArrayRef<Value> m) { // G^T m: alpha -> 3
    if (tile == 2) {
      Value mid = scale(0.5, add(m[1], m[2]));
      return {add(m[0], mid), scale(0.5, sub(m[1], m[2])), add(mid, m[3])};
    }
    Value s12 = add(m[1], m[2]), d12 = sub(m[1], m[2]);
    Value s34 = add(m[3], m[4]), d34 = sub(m[3], m[4]);
    Value sixths = scale(-1.0 / 6, s12);
    return {axpy(0.25, m[0], axpy(1.0 / 24, s34, sixths)),
            axpy(-1.0 / 6, d12, scale(1.0 / 12, d34)),
            add(axpy(1.0 / 6, s34, sixths), m[5])};
  }
  /// `t` applied to the columns of `in` (rows x cols, row-major), then to
  /// the rows of the result: t in[:, :] t^T, row-major.
  SmallVector<Value>
  twoD(ArrayRef<Value> in, int64_t rows, int64_t cols,
       llvm::function_ref<SmallVector<Value>(ArrayRef<Value>)> t) {
    SmallVector<SmallVector<Value>> byColumn;
    for (int64_t j = 0; j < cols; ++j) {
      SmallVector<Value> column;
      for (int64_t i = 0; i < rows; ++i)
        column.push_back(in[i * cols + j]);
      byColumn.push_back(t(column));
    }
    SmallVector<Value> out;
    for (size_t i = 0; i < byColumn[0].size(); ++i) {
      SmallVector<Value> row;
      for (int64_t j = 0; j < cols; ++j)
        row.push_back(byColumn[j][i]);
      llvm::append_range(out, t(row));
    }
    return out;
  }

  /// The `k`-th index of `outer`'s dims, row-major.
  static SmallVector<int64_t> position(int64_t k, ArrayRef<int64_t> outer) {
    SmallVector<int64_t> pos(outer.size());
    for (int64_t d = outer.size() - 1; d >= 0; --d) {
      pos[d] = k % outer[d];
      k /= outer[d];
    }
    return pos;
  }
  /// A vector of zeros.
  Value zeros(VectorType t) {
    return b.create<arith::ConstantOp>(
        loc, t, DenseElementsAttr::get(t, b.getZeroAttr(el)));
  }

  /// An (outer..., w) vector from its 1-D parts, row-major over `outer`.
  Value pack(ArrayRef<int64_t> outer, ArrayRef<Value> parts) {
    int64_t w = cast<VectorType>(parts[0].getType()).getDimSize(0);
    SmallVector<int64_t> shape(outer);
    shape.push_back(w);
    VectorType t = vec(shape);
    Value out = zeros(t);
    for (auto [k, part] : llvm::enumerate(parts)) {
      out = b.create<vector::InsertOp>(loc, part, out, position(k, outer));
    }
    return out;
  }
  /// The 1-D parts of `v`, row-major.
  SmallVector<Value> unpack(Value v) {
    ArrayRef<int64_t> shape = cast<VectorType>(v.getType()).getShape();
    SmallVector<int64_t> outer(shape.drop_back());
    int64_t count = 1;
    for (int64_t d : outer)
      count *= d;
    SmallVector<Value> out;
    for (int64_t k = 0; k < count; ++k) {
      out.push_back(b.create<vector::ExtractOp>(loc, v, position(k, outer)));
    }
    return out;
  }
  Value read(Value t, VectorType type, ValueRange at) {
    SmallVector<bool> inBounds(type.getRank(), true);
    return b.create<vector::TransferReadOp>(loc, type, t, at,
                                            cst(b, loc, el, 0), inBounds);
  }
  Value write(Value v, Value t, ValueRange at) {
    SmallVector<bool> inBounds(cast<VectorType>(v.getType()).getRank(), true);
    return b.create<vector::TransferWriteOp>(loc, v, t, at, inBounds)
        .getResult();
  }

  /// U [positions, C, F]: G g G^T for each (c, f), vectors over f; of
  /// the filter rotated by 180 degrees (g[2 - i, 2 - j]) when `flip`.
  Value filter(Value w, bool flip) {
    Value u = b.create<tensor::EmptyOp>(
        loc, ArrayRef<int64_t>{positions(), c, f}, el);
    return loop(b, loc, idx(0), idx(c), u, [&](OpBuilder &, Value ch, Value u) {
      return chunks(b, loc, f, lanes, u, [&](Value f0, int64_t wd, Value u) {
        Value taps = read(w, vec({3, 3, 1, wd}), {idx(0), idx(0), ch, f0});
        SmallVector<Value> parts = unpack(taps);
        if (flip)
          std::reverse(parts.begin(), parts.end());
        SmallVector<Value> t = twoD(parts, 3, 3,
                                    [&](ArrayRef<Value> v) { return g(v); });
        return write(pack({positions(), 1}, t), u, {idx(0), ch, f0});
      });
    });
  }

  /// `body(t, cols)` for the tiles t of a row: the whole ones (`tile`
  /// output columns) in a loop, the last one of a width that `tile` does
  /// not divide (the rest of the columns) after.
  Value overTiles(Value acc,
                  llvm::function_ref<Value(Value, int64_t, Value)> body) {
    acc = loop(b, loc, idx(0), idx(ow / tile), acc,
               [&](OpBuilder &, Value t, Value acc) {
                 return body(t, tile, acc);
               });
    if (ow % tile)
      acc = body(idx(ow / tile), ow % tile, acc);
    return acc;
  }

  /// The `size` x `size` tile at [tile th, tile t) of image `img` of the
  /// NHWC `x` for each tile t of a row, rows + extra by cols + extra
  /// elements of it present (the rest past the image, an output size that
  /// `tile` does not divide: zero), transformed by twoD with `t1`, written
  /// into `out` [positions, tiles, channels] at tile `base` + t.
  Value transformTiles(Value x, Value img, Value th, int64_t size,
                       int64_t extra, int64_t rows, int64_t channels,
                       Value out, Value base,
                       llvm::function_ref<SmallVector<Value>(ArrayRef<Value>)>
                           t1) {
    return overTiles(out, [&](Value t, int64_t cols, Value out) {
      return chunks(b, loc, channels, lanes, out, [&](Value c0, int64_t wd,
                                                      Value out) {
        int64_t h = rows + extra, w = cols + extra;
        Value d = read(x, vec({h, w, wd}),
                       {img, times(th, tile), times(t, tile), c0});
        SmallVector<Value> parts = unpack(d), square;
        for (int64_t i = 0; i < size; ++i)
          for (int64_t j = 0; j < size; ++j)
            square.push_back(i < h && j < w ? parts[i * w + j] : Value());
        SmallVector<Value> sums = twoD(square, size, size, t1);
        for (Value &s : sums) // all its inputs absent: none is
          if (!s)
            s = zeros(vec({wd}));
        return write(pack({static_cast<int64_t>(sums.size()), 1}, sums), out,
                     {idx(0), b.create<arith::AddIOp>(loc, base, t), c0});
      });
    });
  }

  /// A block of rows of tiles of image `img` of the (padded) input x:
  /// `full` whole ones from row th0 and, when `rest` > 0, one of `rest`
  /// output rows after them, written into `out` [the block's output rows,
  /// OW, F]. V [positions, T, C] and M [positions, T, F] hold the block's
  /// T = rows x TW tiles and are overwritten. Returns the three.
  SmallVector<Value> tileBlock(Value x, Value u, Value bias, bool relu,
                               Value img, Value th0, int64_t full,
                               int64_t rest, Value out, Value v, Value m) {
    // V: the input tiles, transformed: rows + 2 by cols + 2 inputs each.
    auto input = [&](Value th, int64_t rows, Value v) {
      return transformTiles(x, img, b.create<arith::AddIOp>(loc, th0, th),
                            alpha(), 2, rows, c, v, times(th, tw),
                            [&](ArrayRef<Value> d) { return bt(d); });
    };
    v = loop(b, loc, idx(0), idx(full), v, [&](OpBuilder &, Value th,
                                               Value v) {
      return input(th, tile, v);
    });
    if (rest)
      v = input(idx(full), rest, v);
    // M = V U, one [T, C] x [C, F] matmul per position, in register tiles
    // accumulated over C.
    m = registerTiles(
        m, (full + (rest ? 1 : 0)) * tw, idx(c),
        [&](Value k, Value ch, Value row) {
          return b.create<tensor::ExtractOp>(loc, v, ValueRange{k, row, ch});
        },
        [&](Value k, Value ch, Value f0, int64_t wd) {
          return read(u, vec({wd}), {k, ch, f0});
        },
        [&](Value, Value, Value, int64_t nr, ArrayRef<int64_t> widths,
            Value) {
          SmallVector<Value> accs;
          for (int64_t r = 0; r < nr; ++r)
            for (int64_t wd : widths)
              accs.push_back(zeros(vec({wd})));
          return accs;
        },
        [&](Value k, Value t0, Value f0, int64_t nr, ArrayRef<int64_t> widths,
            ArrayRef<Value> accs, Value m) {
          int64_t cw = 0;
          for (int64_t wd : widths)
            cw += wd;
          Value tile = zeros(vec({nr, cw}));
          for (int64_t r = 0; r < nr; ++r)
            for (auto [j, wd] : llvm::enumerate(widths))
              tile = b.create<vector::InsertStridedSliceOp>(
                  loc, accs[r * widths.size() + j], tile,
                  ArrayRef<int64_t>{r, static_cast<int64_t>(j) * lanes},
                  ArrayRef<int64_t>{1});
          return write(tile, m, {k, t0, f0});
        });
    // y = A^T M A (+ bias, relu) for each tile's rows x cols outputs.
    auto output = [&](Value th, int64_t rows, Value out) {
      Value base = times(th, tw);
      return overTiles(out, [&](Value t, int64_t cols, Value out) {
        return chunks(b, loc, f, lanes, out, [&](Value f0, int64_t wd,
                                                 Value out) {
          SmallVector<Value> sums = twoD(
              unpack(read(m, vec({positions(), 1, wd}),
                          {idx(0), b.create<arith::AddIOp>(loc, base, t),
                           f0})),
              alpha(), alpha(), [&](ArrayRef<Value> d) { return at(d); });
          Value bv = bias ? read(bias, vec({wd}), {f0}) : Value();
          SmallVector<Value> ys;
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j) {
              Value y = add(sums[i * tile + j], bv);
              if (relu)
                y = b.create<arith::MaximumFOp>(
                    loc, y,
                    b.create<vector::BroadcastOp>(loc, vec({wd}),
                                                  cst(b, loc, el, 0)));
              ys.push_back(y);
            }
          return write(pack({rows, cols}, ys), out,
                       {times(th, tile), times(t, tile), f0});
        });
      });
    };
    out = loop(b, loc, idx(0), idx(full), out, [&](OpBuilder &, Value th,
                                                   Value out) {
      return output(th, tile, out);
    });
    if (rest)
      out = output(idx(full), rest, out);
    return {out, v, m};
  }

  /// `t` [positions, rows, width] (a filter gradient's dU), zeroed.
  Value zeroed(Value t, int64_t rows, int64_t width) {
    return loop(b, loc, idx(0), idx(rows), t, [&](OpBuilder &, Value r,
                                                  Value t) {
      return chunks(b, loc, width, lanes, t, [&](Value w0, int64_t wd,
                                                 Value t) {
        return write(zeros(vec({positions(), 1, wd})), t, {idx(0), r, w0});
      });
    });
  }

  /// For each of the P positions k, `out[k]` [rows, F] from register
  /// tiles of up to rowBlock rows (in equal blocks) by colBlock elements
  /// of F: `start` gives a tile's accumulators (one per row and vector of
  /// F, row-major), which go through [0, depth) as
  ///   acc[r][j] += a(k, i, row r) * b(k, i, vector j's first element)
  /// (each b vector read once a step, each a scalar broadcast), and
  /// `finish` writes them.
  using TileFn = llvm::function_ref<SmallVector<Value>(
      Value k, Value r0, Value f0, int64_t nr, ArrayRef<int64_t> widths,
      Value out)>;
  using FinishFn = llvm::function_ref<Value(
      Value k, Value r0, Value f0, int64_t nr, ArrayRef<int64_t> widths,
      ArrayRef<Value> accs, Value out)>;
  Value registerTiles(
      Value out, int64_t rows, Value depth,
      llvm::function_ref<Value(Value k, Value i, Value row)> a,
      llvm::function_ref<Value(Value k, Value i, Value f0, int64_t wd)> bv,
      TileFn start, FinishFn finish) {
    int64_t blocks = (rows + rowBlock - 1) / rowBlock;
    int64_t rb = (rows + blocks - 1) / blocks; // equal blocks, the rest after
    return loop(b, loc, idx(0), idx(positions()), out,
                [&](OpBuilder &, Value k, Value out) {
      return chunks(b, loc, rows, rb, out, [&](Value r0, int64_t nr,
                                               Value out) {
        return chunks(b, loc, f, colBlock, out, [&](Value f0, int64_t cw,
                                                    Value out) {
          SmallVector<int64_t> widths;
          for (int64_t o = 0; o < cw; o += lanes)
            widths.push_back(std::min(lanes, cw - o));
          SmallVector<Value> accs = start(k, r0, f0, nr, widths, out);
          accs = loops(b, loc, idx(0), depth, accs,
                       [&](OpBuilder &, Value i, ValueRange accs) {
            SmallVector<Value> bs, next;
            for (auto [j, wd] : llvm::enumerate(widths))
              bs.push_back(bv(k, i, plus(f0, j * lanes), wd));
            for (int64_t r = 0; r < nr; ++r) {
              Value x = a(k, i, plus(r0, r));
              for (auto [j, wd] : llvm::enumerate(widths))
                next.push_back(b.create<vector::FMAOp>(
                    loc, b.create<vector::BroadcastOp>(loc, vec({wd}), x),
                    bs[j], accs[r * widths.size() + j]));
            }
            return next;
          });
          return finish(k, r0, f0, nr, widths, accs, out);
        });
      });
    });
  }

  /// A filter gradient's dU [P, C, F] += V[k]^T M[k] for each k, over the
  /// tiles [0, count) of V [P, T, C] and M [P, T, F] (dy's tiles,
  /// transformed): register tiles of C rows by F vectors, read from dU
  /// once and accumulated over the tiles.
  Value accumulate(Value v, Value m, Value count, Value du) {
    // The accumulators' elements of dU, in start's and finish's order.
    auto at = [&](Value k, Value c0, Value f0, int64_t nr,
                  ArrayRef<int64_t> widths) {
      SmallVector<std::pair<SmallVector<Value>, int64_t>> out;
      for (int64_t r = 0; r < nr; ++r)
        for (auto [j, wd] : llvm::enumerate(widths))
          out.push_back({{k, plus(c0, r), plus(f0, j * lanes)}, wd});
      return out;
    };
    return registerTiles(
        du, c, count,
        [&](Value k, Value t, Value row) {
          return b.create<tensor::ExtractOp>(loc, v, ValueRange{k, t, row});
        },
        [&](Value k, Value t, Value f0, int64_t wd) {
          return read(m, vec({wd}), {k, t, f0});
        },
        [&](Value k, Value c0, Value f0, int64_t nr, ArrayRef<int64_t> widths,
            Value du) {
          SmallVector<Value> accs;
          for (auto &[where, wd] : at(k, c0, f0, nr, widths))
            accs.push_back(read(du, vec({wd}), where));
          return accs;
        },
        [&](Value k, Value c0, Value f0, int64_t nr, ArrayRef<int64_t> widths,
            ArrayRef<Value> accs, Value du) {
          for (auto [acc, place] : llvm::zip(accs, at(k, c0, f0, nr, widths)))
            du = write(acc, du, place.first);
          return du;
        });
  }

  /// The filter gradient [3, 3, C, F] into `dw`: G^T dU G of the sum of
  /// the parts' dU (`parts` [kBatchParts, P, C, F]), in the parts' order.
  Value filterGradient(Value parts, Value dw) {
    return loop(b, loc, idx(0), idx(c), dw, [&](OpBuilder &, Value ch,
                                                Value dw) {
      return chunks(b, loc, f, lanes, dw, [&](Value f0, int64_t wd, Value dw) {
        SmallVector<Value> sum(positions());
        for (int64_t p = 0; p < kBatchParts; ++p) {
          SmallVector<Value> part = unpack(read(
              parts, vec({positions(), 1, wd}), {idx(p), idx(0), ch, f0}));
          for (int64_t k = 0; k < positions(); ++k)
            sum[k] = add(sum[k], part[k]);
        }
        SmallVector<Value> w = twoD(sum, alpha(), alpha(),
                                    [&](ArrayRef<Value> m) { return gt(m); });
        return write(pack({3, 3, 1}, w), dw, {idx(0), idx(0), ch, f0});
      });
    });
  }
};

/// A scratch tensor [shape] carried through loops beside others: an
/// allocation of its own. (Two tensor.empty of one type, V and M where C
/// = F, are one value after CSE; as the inits of two iter_args of one
/// loop they bufferized into one buffer, M's writes overwriting the V
/// that later column blocks read.)
static Value scratch(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                     Type el) {
  return b.create<bufferization::AllocTensorOp>(
      loc, RankedTensorType::get(shape, el), ValueRange{});
}

/// The register tile of the matmuls: rows of V by vectors of U, within
/// 24 of AVX-512's 32 registers (6 x 4) and 12 of AVX2's 16 (6 x 2).
static std::pair<int64_t, int64_t> registerTile(int64_t vectorBits,
                                                int64_t vectorsOfF) {
  int64_t budget = vectorBits >= 512 ? 24 : 12;
  int64_t cols = std::min<int64_t>(vectorsOfF, vectorBits >= 512 ? 4 : 2);
  return {std::min<int64_t>(cols <= 2 ? 8 : 6, budget / cols), cols};
}

/// Kept in L2 (with U or dU): the transformed tiles of this many bytes'
/// worth of rows of tiles go through the matmuls together.
constexpr int64_t kTileBytes = 256 * 1024;

/// The output tile's side: 4, F(4 x 4, 3 x 3) (36 products per 16
/// outputs, against F(2 x 2)'s 64), where its transformed filter fits
/// kMaxFilterBytes and it computes at most 3/4 of F(2 x 2)'s products
/// (sizes that 4 does not divide waste more); else 2.
static int64_t outputTile(int64_t oh, int64_t ow, int64_t c, int64_t f,
                          Type el, int64_t maxTile) {
  if (maxTile < 4)
    return 2;
  auto products = [&](int64_t t) {
    return ((oh + t - 1) / t) * ((ow + t - 1) / t) * (t + 2) * (t + 2);
  };
  if (36 * c * f * el.getIntOrFloatBitWidth() / 8 > kMaxFilterBytes)
    return 2;
  return products(4) * 4 <= products(2) * 3 ? 4 : 2;
}

static void rewrite(IRRewriter &rw, Candidate &m, int64_t vectorBits,
                    int64_t maxTile) {
  Location loc = m.op->getLoc();
  auto out = cast<RankedTensorType>(m.op->getResult(0).getType());
  Type el = out.getElementType();
  Operation *last = m.relu ? m.relu.getOperation()
                    : m.bias ? m.bias.getOperation()
                             : m.op;
  rw.setInsertionPoint(last);
  Value filter = m.filter;
  if (m.kind == Kind::InputGrad) {
    RankedTensorType w = typeOf(filter);
    filter = rw.create<TransposeOp>(
        loc,
        RankedTensorType::get({3, 3, w.getDimSize(3), w.getDimSize(2)}, el),
        filter, ArrayRef<int64_t>{0, 1, 3, 2});
  }
  RankedTensorType wt = typeOf(filter);
  int64_t lanes =
      std::max<int64_t>(1, vectorBits / el.getIntOrFloatBitWidth());
  int64_t c = wt.getDimSize(2), f = wt.getDimSize(3);
  auto [rowBlock, cols] = registerTile(vectorBits, (f + lanes - 1) / lanes);
  int64_t oh = out.getDimSize(1), ow = out.getDimSize(2);
  int64_t tile = outputTile(oh, ow, c, f, el, maxTile);
  int64_t tw = (ow + tile - 1) / tile, th = (oh + tile - 1) / tile;
  Winograd wg{rw, loc, el, lanes, c, f, ow, tw, rowBlock, cols * lanes, tile};
  Value x = padNHWC(rw, loc, m.input, m.pad, 0.0);
  Value u = wg.filter(filter, m.kind == Kind::InputGrad);
  Value bias = m.bias ? m.bias.getRhs() : Value();
  Value n = rw.create<tensor::DimOp>(loc, x, 0);
  Value y = rw.create<tensor::EmptyOp>(loc, out.getShape(), el, ValueRange{n});
  // The batch in kBatchParts parallel parts, each with its own V and M
  // (allocated once: on the stack, one per iteration of a parallel loop
  // over (image, tile row) was not released between iterations) going
  // through its images a block of rows of tiles at a time: a whole image
  // where its V and M fit kTileBytes (U read once an image), else a row
  // of tiles (the last one of fewer output rows after the whole ones).
  int64_t p = wg.positions();
  Value work = wg.times(n, p * th * tw * c * f);
  bool whole = p * th * tw * (c + f) * el.getIntOrFloatBitWidth() / 8 <=
               kTileBytes;
  int64_t blockTiles = whole ? th * tw : tw;
  scf::ForallOp forall;
  Value first, lastImage; // a lambda captures first: no structured binding
  std::tie(forall, first, lastImage) =
      overBatchParts(rw, loc, n, {y}, work);
  Value count = rw.create<arith::SubIOp>(loc, lastImage, first);
  SmallVector<OpFoldResult> partAt = {first};
  partAt.append(indexAttrs(rw, {0, 0, 0}));
  SmallVector<OpFoldResult> partSizes = {count};
  partSizes.append(indexAttrs(rw, {oh, ow, f}));
  SmallVector<OpFoldResult> unit = indexAttrs(rw, {1, 1, 1, 1});
  Value mine = rw.create<tensor::ExtractSliceOp>(
      loc, forall.getRegionIterArgs()[0], partAt, partSizes, unit);
  Value v = scratch(rw, loc, {p, blockTiles, c}, el);
  Value mt = scratch(rw, loc, {p, blockTiles, f}, el);
  // Image i of the part, `full` whole rows of tiles from th0 and a last
  // one of `rest` output rows.
  auto block = [&](Value i, Value th0, int64_t full, int64_t rest,
                   ValueRange acc) -> SmallVector<Value> {
    int64_t rows = full * tile + rest;
    SmallVector<OpFoldResult> at = {i, wg.times(th0, tile),
                                    rw.getIndexAttr(0), rw.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = indexAttrs(rw, {1, rows, ow, f});
    auto rowType = RankedTensorType::get({rows, ow, f}, el);
    Value slice = rw.create<tensor::ExtractSliceOp>(loc, rowType, acc[0], at,
                                                    sizes, unit);
    SmallVector<Value> res = wg.tileBlock(
        x, u, bias, static_cast<bool>(m.relu),
        rw.create<arith::AddIOp>(loc, first, i), th0, full, rest, slice,
        acc[1], acc[2]);
    res[0] = rw.create<tensor::InsertSliceOp>(loc, res[0], acc[0], at, sizes,
                                              unit);
    return res;
  };
  SmallVector<Value> acc = loops(
      rw, loc, wg.idx(0), count, {mine, v, mt},
      [&](OpBuilder &, Value i, ValueRange acc) {
        if (whole)
          return block(i, wg.idx(0), oh / tile, oh % tile, acc);
        SmallVector<Value> next =
            loops(rw, loc, wg.idx(0), wg.idx(oh / tile), acc,
                  [&](OpBuilder &, Value r, ValueRange acc) {
                    return block(i, r, 1, 0, acc);
                  });
        if (oh % tile)
          next = block(i, wg.idx(oh / tile), 0, oh % tile, next);
        return next;
      });
  rw.setInsertionPointToStart(forall.getTerminator().getBody());
  rw.create<tensor::ParallelInsertSliceOp>(
      loc, acc[0], forall.getRegionIterArgs()[0], partAt, partSizes, unit);
  rw.setInsertionPointAfter(forall);
  y = forall.getResult(0);
  rw.replaceOp(last, y);
  if (m.bias && m.relu)
    rw.eraseOp(m.bias);
  if (m.bias)
    rw.eraseOp(m.op);
}

/// A filter gradient: each part of the batch accumulates its own dU over
/// its images, rows of tiles transformed into V [P, T, C] and dy's
/// A dy A^T into M [P, T, F] a chunk of rows at a time; then G^T dU G of
/// the parts' sum.
static void rewriteFilterGrad(IRRewriter &rw, Candidate &m,
                              int64_t vectorBits, int64_t maxTile) {
  Location loc = m.op->getLoc();
  auto w = cast<RankedTensorType>(m.op->getResult(0).getType());
  Type el = w.getElementType();
  rw.setInsertionPoint(m.op);
  int64_t lanes =
      std::max<int64_t>(1, vectorBits / el.getIntOrFloatBitWidth());
  int64_t c = w.getDimSize(2), f = w.getDimSize(3);
  auto [rowBlock, cols] = registerTile(vectorBits, (f + lanes - 1) / lanes);
  RankedTensorType dyType = typeOf(m.filter);
  int64_t oh = dyType.getDimSize(1), ow = dyType.getDimSize(2);
  int64_t tile = outputTile(oh, ow, c, f, el, maxTile);
  int64_t tw = (ow + tile - 1) / tile;
  Winograd wg{rw, loc, el, lanes, c, f, ow, tw, rowBlock, cols * lanes, tile};
  int64_t p = wg.positions();
  Value x = padNHWC(rw, loc, m.input, m.pad, 0.0);
  Value dy = m.filter;
  Value n = rw.create<tensor::DimOp>(loc, x, 0);
  int64_t full = oh / tile; // whole rows of tiles (none where oh < 4)
  int64_t rowBytes = p * tw * (c + f) * el.getIntOrFloatBitWidth() / 8;
  int64_t chunk =
      std::max<int64_t>(1, std::min(kTileBytes / rowBytes, full));
  Value all = rw.create<tensor::EmptyOp>(
      loc, ArrayRef<int64_t>{kBatchParts, p, c, f}, el);
  Value work = wg.times(n, p * ((oh + tile - 1) / tile) * tw * c * f);
  scf::ForallOp forall;
  Value first, lastImage; // a lambda captures first: no structured binding
  std::tie(forall, first, lastImage) =
      overBatchParts(rw, loc, n, {all}, work);
  Value count = rw.create<arith::SubIOp>(loc, lastImage, first);
  Value du = wg.zeroed(scratch(rw, loc, {p, c, f}, el), c, f);
  Value v = scratch(rw, loc, {p, chunk * tw, c}, el);
  Value mt = scratch(rw, loc, {p, chunk * tw, f}, el);
  // Row of tiles th (rows output rows) of image img into tiles [slot,
  // slot + tw) of V and M.
  auto row = [&](Value img, Value th, int64_t rows, Value slot, Value v,
                 Value mt) -> SmallVector<Value> {
    return {wg.transformTiles(x, img, th, wg.alpha(), 2, rows, c, v, slot,
                              [&](ArrayRef<Value> d) { return wg.bt(d); }),
            wg.transformTiles(dy, img, th, tile, 0, rows, f, mt, slot,
                              [&](ArrayRef<Value> y) { return wg.a(y); })};
  };
  SmallVector<Value> acc = loops(
      rw, loc, wg.idx(0), count, {du, v, mt},
      [&](OpBuilder &, Value i, ValueRange acc) {
        Value img = rw.create<arith::AddIOp>(loc, first, i);
        SmallVector<Value> next = loops(
            rw, loc, wg.idx(0), wg.idx((full + chunk - 1) / chunk), acc,
            [&](OpBuilder &, Value q, ValueRange acc) {
              Value th0 = wg.times(q, chunk);
              Value rows = rw.create<arith::MinUIOp>(
                  loc, wg.idx(chunk),
                  rw.create<arith::SubIOp>(loc, wg.idx(full), th0));
              SmallVector<Value> vm = loops(
                  rw, loc, wg.idx(0), rows, acc.drop_front(),
                  [&](OpBuilder &, Value r, ValueRange vm) {
                    return row(img, rw.create<arith::AddIOp>(loc, th0, r),
                               tile, wg.times(r, tw), vm[0], vm[1]);
                  });
              return SmallVector<Value>{
                  wg.accumulate(vm[0], vm[1], wg.times(rows, tw), acc[0]),
                  vm[0], vm[1]};
            });
        if (oh % tile) { // the last output rows, alone
          SmallVector<Value> vm =
              row(img, wg.idx(full), oh % tile, wg.idx(0), next[1], next[2]);
          next = {wg.accumulate(vm[0], vm[1], wg.idx(tw), next[0]), vm[0],
                  vm[1]};
        }
        return next;
      });
  rw.setInsertionPointToStart(forall.getTerminator().getBody());
  SmallVector<OpFoldResult> partAt = {forall.getInductionVar(0)};
  partAt.append(indexAttrs(rw, {0, 0, 0}));
  rw.create<tensor::ParallelInsertSliceOp>(
      loc, acc[0], forall.getRegionIterArgs()[0], partAt,
      indexAttrs(rw, {1, p, c, f}), indexAttrs(rw, {1, 1, 1, 1}));
  rw.setInsertionPointAfter(forall);
  Value dw = wg.filterGradient(
      forall.getResult(0),
      rw.create<tensor::EmptyOp>(loc, w.getShape(), el));
  rw.replaceOp(m.op, dw);
}

struct WinogradConv : nnc::impl::WinogradConvBase<WinogradConv> {
  using WinogradConvBase::WinogradConvBase;
  void runOnOperation() override {
    SmallVector<Candidate> found;
    getOperation().walk([&](Operation *op) {
      std::optional<Candidate> m;
      if (auto conv = dyn_cast<Conv2DOp>(op))
        m = match(conv, vectorBits);
      else if (auto grad = dyn_cast<Conv2DInputGradOp>(op))
        m = match(grad, vectorBits);
      else if (auto grad = dyn_cast<Conv2DFilterGradOp>(op))
        m = match(grad, vectorBits);
      if (m)
        found.push_back(*m);
    });
    IRRewriter rw(&getContext());
    for (Candidate &m : found)
      if (m.kind == Kind::FilterGrad)
        rewriteFilterGrad(rw, m, vectorBits, maxTile);
      else
        rewrite(rw, m, vectorBits, maxTile);
  }
};
} // namespace
