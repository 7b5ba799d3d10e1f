//===- BatchParts.cpp - a batch split in fixed parts among threads --------===//
#include "codegen/BatchParts.h"
#include "ir/NncOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value nnc::addParts(OpBuilder &b, Location loc, Value all,
                    RankedTensorType row, Value init) {
  int64_t rank = row.getRank();
  SmallVector<int64_t> sizes = {1};
  llvm::append_range(sizes, row.getShape());
  SmallVector<int64_t> ones(rank + 1, 1);
  SmallVector<Value> inputs;
  if (init)
    inputs.push_back(init);
  for (int64_t i = 0; i < kBatchParts; ++i) {
    SmallVector<int64_t> at(rank + 1, 0);
    at[0] = i;
    inputs.push_back(b.create<tensor::ExtractSliceOp>(
        loc, row, all, ValueRange{}, ValueRange{}, ValueRange{},
        b.getDenseI64ArrayAttr(at), b.getDenseI64ArrayAttr(sizes),
        b.getDenseI64ArrayAttr(ones)));
  }
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              b.getMultiDimIdentityMap(rank));
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{row}, inputs,
          ValueRange{b.create<tensor::EmptyOp>(loc, row.getShape(),
                                               row.getElementType())
                         .getResult()},
          maps,
          SmallVector<utils::IteratorType>(rank,
                                           utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value sum = a[0];
            for (Value v : a.drop_front().drop_back())
              sum = nb.create<arith::AddFOp>(l, sum, v);
            nb.create<linalg::YieldOp>(l, sum);
          })
      .getResult(0);
}

std::tuple<scf::ForallOp, Value, Value>
nnc::overBatchParts(RewriterBase &rw, Location loc, Value n, ValueRange inits,
                    Value work) {
  auto c = [&](int64_t v) -> Value {
    return rw.create<arith::ConstantIndexOp>(loc, v);
  };
  Value perPart = rw.create<arith::DivUIOp>(
      loc, rw.create<arith::AddIOp>(loc, n, c(kBatchParts - 1)),
      c(kBatchParts));
  auto forall = rw.create<scf::ForallOp>(
      loc, ArrayRef<OpFoldResult>{rw.getIndexAttr(kBatchParts)}, inits,
      std::nullopt);
  rw.setInsertionPointToStart(forall.getBody());
  rw.create<nnc::ParallelWorkOp>(loc, work);
  Value first = rw.create<arith::MinUIOp>(
      loc, rw.create<arith::MulIOp>(loc, forall.getInductionVar(0), perPart),
      n);
  Value last = rw.create<arith::MinUIOp>(
      loc, rw.create<arith::AddIOp>(loc, first, perPart), n);
  return {forall, first, last};
}
