//===- PruneGraph.cpp - drop what the model does not use ------------------===//
#include "passes/Passes.h"

#include "llvm/ADT/StringSet.h"

namespace nnc {
#define GEN_PASS_DEF_PRUNEGRAPH
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {
struct PruneGraph : nnc::impl::PruneGraphBase<PruneGraph> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Erase side-effect-free ops without uses, last first, so that chains
    // disappear in one sweep.
    module.walk([](func::FuncOp func) {
      for (Block &block : func.getBody())
        eraseDeadOps(block);
    });
    llvm::StringSet<> used;
    module.walk([&](LoadOp load) { used.insert(load.getVariable()); });
    for (auto var : llvm::make_early_inc_range(module.getOps<VariableOp>()))
      if (!used.contains(var.getSymName()))
        var.erase();
  }
};
} // namespace
