//===- LowerTraining.cpp - dropout masks and optimizer updates to linalg --===//
//
// Patterns of nnc-lower-to-linalg for the ops only the training step has:
// dropout_train (a counter-based hash per element, no stored mask) and the
// optimizer updates (one elementwise generic per parameter that reads the
// parameter, its gradient and its slots once and writes them once).
//
//===----------------------------------------------------------------------===//
#include "codegen/LinalgBuilder.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace nnc;

static Value i64(OpBuilder &b, Location l, uint64_t v) {
  return b.create<arith::ConstantOp>(l, b.getI64IntegerAttr((int64_t)v));
}

/// The value of a 0-d tensor.
static Value extract(OpBuilder &b, Location l, Value scalarTensor) {
  return b.create<tensor::ExtractOp>(l, scalarTensor, ValueRange{});
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

/// Keeps element i when bits 40..63 of splitmix64's finalizer applied to
/// ((key << 32 | stream) * golden + i) are >= rate * 2^24 (docs/codegen.md;
/// test/numerics/nncpy.py has the same function in NumPy).
static LogicalResult lowerDropoutTrain(DropoutTrainOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getType());
  LinalgBuilder lb(rw, loc, op.getInput());
  Value key = rw.create<arith::ExtUIOp>(loc, rw.getI64Type(),
                                        extract(rw, loc, op.getKey()));
  Value base = rw.create<arith::OrIOp>(
      loc, rw.create<arith::ShLIOp>(loc, key, i64(rw, loc, 32)),
      i64(rw, loc, (uint32_t)op.getStream()));
  base = rw.create<arith::MulIOp>(loc, base, i64(rw, loc, 0x9E3779B97F4A7C15ull));
  // The dims' sizes for the row-major element index (dim 0's is not needed).
  SmallVector<Value> sizes;
  for (int64_t d = 1; d < type.getRank(); ++d)
    sizes.push_back(type.isDynamicDim(d)
                        ? rw.create<arith::IndexCastOp>(
                              loc, rw.getI64Type(),
                              rw.create<tensor::DimOp>(loc, op.getInput(), d))
                              .getResult()
                        : i64(rw, loc, type.getDimSize(d)));
  // In a data-parallel step (nnc --distributed=mpi declares the runtime's
  // nnc_rt_sample_offset) rows are numbered from this process's first
  // sample in the global batch: the masks do not depend on how the batch
  // is split.
  Value offset;
  auto module = op->getParentOfType<ModuleOp>();
  if (auto f = module.lookupSymbol<func::FuncOp>(kSampleOffsetFunction))
    offset = rw.create<func::CallOp>(loc, f).getResult(0);
  double rate = op.getRate().convertToDouble();
  uint64_t threshold = (uint64_t)std::llround(rate * (1 << 24));
  double scale = 1.0 / (1.0 - rate);
  Value result = lb.elementwise(
      type, op.getInput(), [&](OpBuilder &b, Location l, ValueRange a) {
        auto index = [&](int64_t d) -> Value {
          return b.create<arith::IndexCastOp>(
              l, b.getI64Type(), b.create<linalg::IndexOp>(l, d));
        };
        Value linear = type.getRank() ? index(0) : i64(b, l, 0);
        if (offset && type.getRank())
          linear = b.create<arith::AddIOp>(l, linear, offset);
        for (int64_t d = 1; d < type.getRank(); ++d)
          linear = b.create<arith::AddIOp>(
              l, b.create<arith::MulIOp>(l, linear, sizes[d - 1]), index(d));
        Value z = b.create<arith::AddIOp>(l, base, linear);
        auto mix = [&](unsigned shift, uint64_t mul) {
          z = b.create<arith::XOrIOp>(
              l, z, b.create<arith::ShRUIOp>(l, z, i64(b, l, shift)));
          if (mul)
            z = b.create<arith::MulIOp>(l, z, i64(b, l, mul));
        };
        mix(30, 0xBF58476D1CE4E5B9ull);
        mix(27, 0x94D049BB133111EBull);
        mix(31, 0);
        Value draw = b.create<arith::ShRUIOp>(l, z, i64(b, l, 40));
        Value keep = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::uge,
                                             draw, i64(b, l, threshold));
        Type t = a[0].getType();
        Value scaled = b.create<arith::MulFOp>(l, a[0], cst(b, l, t, scale));
        return b.create<arith::SelectOp>(l, keep, scaled, cst(b, l, t, 0));
      });
  rw.replaceOp(op, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

/// One elementwise generic over the parameter's shape that reads `inputs`
/// and updates `state` (the parameter, then its slots) in destination-passing
/// style: the generic's outs are the old values, so that bufferization
/// writes the new ones in place into the variables' buffers (the body gets
/// the inputs, then the old state, and yields the new state).
static SmallVector<Value>
updateGeneric(OpBuilder &b, Location loc, RankedTensorType type,
              ValueRange inputs, ValueRange state,
              function_ref<SmallVector<Value>(OpBuilder &, Location,
                                              ValueRange)>
                  body) {
  SmallVector<AffineMap> maps(inputs.size() + state.size(),
                              b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange(state), inputs, state, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        nb.create<linalg::YieldOp>(l, body(nb, l, args));
      });
  return generic.getResults();
}

static LogicalResult lowerSgd(SgdUpdateOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value lr = extract(rw, loc, op.getLr());
  auto results = updateGeneric(
      rw, loc, cast<RankedTensorType>(op.getType()),
      op.getGrad(), op.getParam(),
      [&](OpBuilder &b, Location l, ValueRange a) -> SmallVector<Value> {
        Value g = a[0], p = a[1];
        return {b.create<arith::SubFOp>(l, p,
                                        b.create<arith::MulFOp>(l, lr, g))};
      });
  rw.replaceOp(op, results);
  return success();
}

static LogicalResult lowerMomentum(MomentumUpdateOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Value lr = extract(rw, loc, op.getLr());
  double momentum = op.getMomentum().convertToDouble();
  bool nesterov = op.getNesterov();
  auto results = updateGeneric(
      rw, loc, cast<RankedTensorType>(op.getParam().getType()),
      op.getGrad(), {op.getParam(), op.getVelocity()},
      [&](OpBuilder &b, Location l, ValueRange a) -> SmallVector<Value> {
        Value g = a[0], p = a[1], v = a[2];
        Value mu = cst(b, l, p.getType(), momentum);
        Value v2 = b.create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, mu, v), g);
        Value d = nesterov ? b.create<arith::AddFOp>(
                                 l, g, b.create<arith::MulFOp>(l, mu, v2))
                           : v2;
        Value p2 =
            b.create<arith::SubFOp>(l, p, b.create<arith::MulFOp>(l, lr, d));
        return {p2, v2};
      });
  rw.replaceOp(op, results);
  return success();
}

static LogicalResult lowerAdam(AdamUpdateOp op, PatternRewriter &rw) {
  Location loc = op.getLoc();
  Type t = cast<RankedTensorType>(op.getLr().getType()).getElementType();
  double b1 = op.getBeta1().convertToDouble(),
         b2 = op.getBeta2().convertToDouble(),
         eps = op.getEps().convertToDouble(),
         wd = op.getWeightDecay().convertToDouble();
  // Per step, once: lr / (1 - b1^t), sqrt(1 - b2^t), 1 - lr * wd.
  Value lr = extract(rw, loc, op.getLr());
  Value step = extract(rw, loc, op.getStep());
  auto oneMinusPow = [&](double beta) -> Value {
    return rw.create<arith::SubFOp>(
        loc, cst(rw, loc, t, 1),
        rw.create<math::PowFOp>(loc, cst(rw, loc, t, beta), step));
  };
  Value stepSize = rw.create<arith::DivFOp>(loc, lr, oneMinusPow(b1));
  Value bc2Sqrt = rw.create<math::SqrtOp>(loc, oneMinusPow(b2));
  Value decay = rw.create<arith::SubFOp>(
      loc, cst(rw, loc, t, 1),
      rw.create<arith::MulFOp>(loc, lr, cst(rw, loc, t, wd)));
  auto results = updateGeneric(
      rw, loc, cast<RankedTensorType>(op.getParam().getType()),
      op.getGrad(), {op.getParam(), op.getM(), op.getV()},
      [&](OpBuilder &b, Location l, ValueRange a) -> SmallVector<Value> {
        Value g = a[0], p = a[1], m = a[2], v = a[3];
        auto c = [&](double x) { return cst(b, l, t, x); };
        auto mul = [&](Value x, Value y) -> Value {
          return b.create<arith::MulFOp>(l, x, y);
        };
        auto add = [&](Value x, Value y) -> Value {
          return b.create<arith::AddFOp>(l, x, y);
        };
        Value m2 = add(mul(c(b1), m), mul(c(1 - b1), g));
        Value v2 = add(mul(c(b2), v), mul(c(1 - b2), mul(g, g)));
        if (wd != 0)
          p = mul(p, decay);
        Value denom =
            add(b.create<arith::DivFOp>(l, b.create<math::SqrtOp>(l, v2),
                                        bc2Sqrt),
                c(eps));
        Value p2 = b.create<arith::SubFOp>(
            l, p, mul(stepSize, b.create<arith::DivFOp>(l, m2, denom)));
        return {p2, m2, v2};
      });
  rw.replaceOp(op, results);
  return success();
}

void nnc::populateLowerTrainingPatterns(RewritePatternSet &patterns) {
  patterns.add(lowerDropoutTrain);
  patterns.add(lowerSgd);
  patterns.add(lowerMomentum);
  patterns.add(lowerAdam);
}
