//===- GradAllreduce.cpp - data-parallel gradients at bufferization -------===//
//
// nnc.grad_allreduce_start / _wait (nnc --distributed=mpi) live on tensors
// until one-shot bufferization, which turns each into a call of the
// runtime's MPI layer (runtime/mpi/Mpi.cpp) on the gradient's buffer, in
// place:
//
//   nnc_rt_grad_ready(bucket, offset, count, bucket_size, dtype, address)
//   nnc_rt_grad_wait(bucket, offset, count, bucket_size, dtype, address)
//
// (all i64; dtype is NNC_F32 or NNC_F64). The address escapes into the
// call, so LLVM keeps every read of the buffer after the wait.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {
/// The runtime function `name`, declared in the module on first use.
func::FuncOp runtimeFunction(RewriterBase &rw, Operation *from,
                             StringRef name) {
  auto module = from->getParentOfType<ModuleOp>();
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder::InsertionGuard guard(rw);
  rw.setInsertionPointToStart(module.getBody());
  Type i64 = rw.getI64Type();
  auto f = rw.create<func::FuncOp>(
      from->getLoc(), name,
      rw.getFunctionType(SmallVector<Type>(6, i64), {}));
  f.setPrivate();
  return f;
}

template <typename Op>
struct GradAllreduceModel
    : public BufferizableOpInterface::ExternalModel<GradAllreduceModel<Op>,
                                                    Op> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return true;
  }
  AliasingValueList getAliasingValues(Operation *op, OpOperand &,
                                      const AnalysisState &) const {
    return {{op->getResult(0), BufferRelation::Equivalent}};
  }

  LogicalResult bufferize(Operation *o, RewriterBase &rw,
                          const BufferizationOptions &options) const {
    auto op = cast<Op>(o);
    Location loc = op.getLoc();
    FailureOr<Value> buffer = getBuffer(rw, op.getGrad(), options);
    if (failed(buffer))
      return failure();
    Value memref = *buffer;
    auto type = cast<MemRefType>(memref.getType());
    if (!type.getLayout().isIdentity()) {
      // The call takes a contiguous buffer: a copy of a strided one.
      auto dense = MemRefType::get(type.getShape(), type.getElementType());
      Value copy = rw.create<memref::AllocOp>(loc, dense);
      rw.create<memref::CopyOp>(loc, memref, copy);
      memref = copy;
    }
    Value address = rw.create<arith::IndexCastOp>(
        loc, rw.getI64Type(),
        rw.create<memref::ExtractAlignedPointerAsIndexOp>(loc, memref));
    auto i64 = [&](int64_t v) -> Value {
      return rw.create<arith::ConstantOp>(loc, rw.getI64IntegerAttr(v));
    };
    int64_t bucketSize;
    StringRef name;
    if constexpr (std::is_same_v<Op, nnc::GradAllreduceStartOp>) {
      bucketSize = op.getBucketSize();
      name = "nnc_rt_grad_ready";
    } else {
      bucketSize = 0; // the start's record of it
      name = "nnc_rt_grad_wait";
    }
    int64_t dtype = type.getElementType().isF64() ? 1 : 0;
    func::FuncOp callee = runtimeFunction(rw, op, name);
    rw.create<func::CallOp>(
        loc, callee,
        ValueRange{i64(op.getBucket()), i64(op.getOffset()),
                   i64(type.getNumElements()), i64(bucketSize), i64(dtype),
                   address});
    replaceOpWithBufferizedValues(rw, op, memref);
    return success();
  }
};
} // namespace

void nnc::registerGradAllreduceBufferization(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, NncDialect *) {
    GradAllreduceStartOp::attachInterface<
        GradAllreduceModel<GradAllreduceStartOp>>(*ctx);
    GradAllreduceWaitOp::attachInterface<
        GradAllreduceModel<GradAllreduceWaitOp>>(*ctx);
  });
}
