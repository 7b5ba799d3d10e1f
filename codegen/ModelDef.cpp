//===- ModelDef.cpp - the table the runtime loads a model from ------------===//
#include "codegen/Passes.h"

namespace nnc {
#define GEN_PASS_DEF_MODELDEF
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

/// The entry points of nnc_model_def, in order.
static const char *const kEntries[] = {"predict", "train_step", "eval_step",
                                       "gradients"};

namespace {
struct ModelDef : nnc::impl::ModelDefBase<ModelDef> {
  using ModelDefBase::ModelDefBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto model = module->getAttrOfType<StringAttr>(kModelAttr);
    if (!model) {
      module.emitError("the module has no nnc.model");
      return signalPassFailure();
    }
    llvm::StringMap<StringRef> entries;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (auto kind = func->getAttrOfType<StringAttr>(kEntryAttr))
        entries[kind.getValue()] = func.getSymName();

    OpBuilder b(ctx);
    std::string defName = (model.getValue() + "_def").str();
    buildDef(b, module, defName, model.getValue(), entries);
    // The executable's main (libnnc_main.a) finds the model by this name.
    if (program)
      buildDef(b, module, "nnc_program_model", model.getValue(), entries);
  }

  /// A constant nnc_model_def global called `name`.
  static void buildDef(OpBuilder &b, ModuleOp module, StringRef name,
                       StringRef model,
                       const llvm::StringMap<StringRef> &entries) {
    MLIRContext *ctx = b.getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    auto defType =
        LLVM::LLVMStructType::getLiteral(ctx, {i64, ptr, ptr, ptr, ptr, ptr});
    b.setInsertionPointToEnd(module.getBody());
    Location loc = module.getLoc();
    auto def = b.create<LLVM::GlobalOp>(loc, defType, /*isConstant=*/true,
                                        LLVM::Linkage::External, name,
                                        Attribute());
    Block *init = b.createBlock(&def.getInitializerRegion());
    b.setInsertionPointToStart(init);
    Value v = b.create<LLVM::UndefOp>(loc, defType);
    v = b.create<LLVM::InsertValueOp>(
        loc, v, b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(kAbiVersion)),
        ArrayRef<int64_t>{0});
    v = b.create<LLVM::InsertValueOp>(
        loc, v,
        b.create<LLVM::AddressOfOp>(loc, ptr, (model + "_description").str()),
        ArrayRef<int64_t>{1});
    for (auto [i, kind] : llvm::enumerate(kEntries)) {
      auto it = entries.find(kind);
      Value fn = it == entries.end()
                     ? b.create<LLVM::ZeroOp>(loc, ptr).getResult()
                     : b.create<LLVM::AddressOfOp>(loc, ptr, it->second)
                           .getResult();
      v = b.create<LLVM::InsertValueOp>(loc, v, fn,
                                        ArrayRef<int64_t>{(int64_t)i + 2});
    }
    b.create<LLVM::ReturnOp>(loc, v);
  }
};
} // namespace
