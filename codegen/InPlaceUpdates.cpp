//===- InPlaceUpdates.cpp - updated variables written in place -------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace nnc {
#define GEN_PASS_DEF_INPLACEUPDATES
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {
struct InPlaceUpdates : nnc::impl::InPlaceUpdatesBase<InPlaceUpdates> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr(kEntryAttr) && failed(rewrite(func)))
        return signalPassFailure();
  }

  LogicalResult rewrite(func::FuncOp func) {
    llvm::StringMap<BlockArgument> variables;
    for (BlockArgument arg : func.getArguments())
      if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        kVariableAttr))
        variables[name.getValue()] = arg;
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    llvm::BitVector drop(func.getNumResults());
    OpBuilder b(ret);
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      auto name = func.getResultAttrOfType<StringAttr>(i, kUpdateAttr);
      if (!name)
        continue;
      BlockArgument arg = variables.lookup(name.getValue());
      if (!arg || arg.getType() != ret.getOperand(i).getType())
        return func.emitError("update of '")
               << name.getValue() << "' has no matching variable argument";
      if (ret.getOperand(i) != arg)
        b.create<memref::CopyOp>(ret.getLoc(), ret.getOperand(i), arg);
      drop.set(i);
    }
    ret->eraseOperands(drop);
    func.eraseResults(drop);
    return success();
  }
};
} // namespace
