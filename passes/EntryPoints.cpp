//===- EntryPoints.cpp - helpers of the passes that build entry points ----===//
#include "passes/Passes.h"

using namespace mlir;
using namespace nnc;

EntryArguments::EntryArguments(ModuleOp module, OpBuilder &b) {
  for (auto var : module.getOps<VariableOp>()) {
    if (var.getKind() == VariableKind::optimizer)
      continue;
    index[var.getSymName()] = types.size();
    variables.push_back(var);
    add(var.getType(), b.getDictionaryAttr(
                           b.getNamedAttr(kVariableAttr, var.getSymNameAttr())));
  }
}

void nnc::eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (op.use_empty() && isMemoryEffectFree(&op) &&
        !op.hasTrait<OpTrait::IsTerminator>())
      op.erase();
}
