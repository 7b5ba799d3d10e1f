//===- AbiWrappers.cpp - C signatures for the entry points ----------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace nnc {
#define GEN_PASS_DEF_ABIWRAPPERS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

/// MLIR's memref descriptor: {allocated, aligned, offset, sizes, strides}.
static LLVM::LLVMStructType descriptorType(MLIRContext *ctx, int64_t rank) {
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = IntegerType::get(ctx, 64);
  if (rank == 0)
    return LLVM::LLVMStructType::getLiteral(ctx, {ptr, ptr, i64});
  Type array = LLVM::LLVMArrayType::get(i64, rank);
  return LLVM::LLVMStructType::getLiteral(ctx, {ptr, ptr, i64, array, array});
}

/// A row-major memref of `type` over `data`, with `batch` for dynamic dims.
static Value buildMemRef(OpBuilder &b, Location loc, MemRefType type,
                         Value data, Value batch) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  LLVM::LLVMStructType descType = descriptorType(ctx, rank);
  auto i64 = b.getI64Type();
  auto c = [&](int64_t v) {
    return b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(v));
  };
  Value desc = b.create<LLVM::UndefOp>(loc, descType);
  desc = b.create<LLVM::InsertValueOp>(loc, desc, data, ArrayRef<int64_t>{0});
  desc = b.create<LLVM::InsertValueOp>(loc, desc, data, ArrayRef<int64_t>{1});
  desc = b.create<LLVM::InsertValueOp>(loc, desc, c(0), ArrayRef<int64_t>{2});
  Value stride = c(1);
  for (int64_t i = rank - 1; i >= 0; --i) {
    Value size = type.isDynamicDim(i) ? batch : c(type.getDimSize(i));
    desc = b.create<LLVM::InsertValueOp>(loc, desc, size,
                                         ArrayRef<int64_t>{3, i});
    desc = b.create<LLVM::InsertValueOp>(loc, desc, stride,
                                         ArrayRef<int64_t>{4, i});
    stride = b.create<LLVM::MulOp>(loc, stride, size);
  }
  return b.create<UnrealizedConversionCastOp>(loc, type, desc).getResult(0);
}

namespace {
struct AbiWrappers : nnc::impl::AbiWrappersBase<AbiWrappers> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    for (auto func :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      auto kind = func->getAttrOfType<StringAttr>(kEntryAttr);
      if (!kind)
        continue;
      if (func.getNumResults() != 0 ||
          !llvm::all_of(func.getArgumentTypes(), [](Type t) {
            auto m = dyn_cast<MemRefType>(t);
            return m && m.getLayout().isIdentity();
          })) {
        func.emitError("an entry point must take identity-layout memrefs "
                       "and return nothing (run after bufferization and "
                       "buffer-results-to-out-params)");
        return signalPassFailure();
      }
      std::string name = func.getSymName().str();
      func.setSymName(name + "_impl");
      func.setPrivate();
      // Internal in LLVM too, so that it can be inlined into the wrapper
      // and does not clash between models.
      func->setAttr("llvm.linkage",
                    LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
      func->removeAttr(kEntryAttr);

      Location loc = func.getLoc();
      b.setInsertionPointAfter(func);
      auto wrapper = b.create<func::FuncOp>(
          loc, name, b.getFunctionType({b.getI64Type(), ptr}, {}));
      wrapper->setAttr(kEntryAttr, kind);
      Block *entry = wrapper.addEntryBlock();
      b.setInsertionPointToStart(entry);
      Value batch = entry->getArgument(0), buffers = entry->getArgument(1);
      SmallVector<Value> args;
      for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
        Value slot = b.create<LLVM::GEPOp>(loc, ptr, ptr, buffers,
                                           ArrayRef<LLVM::GEPArg>{(int32_t)i});
        Value data = b.create<LLVM::LoadOp>(loc, ptr, slot);
        args.push_back(
            buildMemRef(b, loc, cast<MemRefType>(type), data, batch));
      }
      b.create<func::CallOp>(loc, func, args);
      b.create<func::ReturnOp>(loc);
    }

    // The description, NUL-terminated for C.
    auto model = module->getAttrOfType<StringAttr>(kModelAttr);
    auto text = module->getAttrOfType<StringAttr>("nnc.description");
    if (!model || !text) {
      module.emitError("the module has no nnc.model / nnc.description");
      return signalPassFailure();
    }
    std::string value = text.getValue().str();
    value.push_back('\0');
    b.setInsertionPointToStart(module.getBody());
    auto type = LLVM::LLVMArrayType::get(b.getI8Type(), value.size());
    b.create<LLVM::GlobalOp>(module.getLoc(), type, /*isConstant=*/true,
                             LLVM::Linkage::Internal,
                             (model.getValue() + "_description").str(),
                             b.getStringAttr(value));
  }
};
} // namespace
