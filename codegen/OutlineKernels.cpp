//===- OutlineKernels.cpp - loop nests into shared kernel functions -------===//
//
// Each entry point (predict, eval_step, train_step, gradients) is built from
// the same graph, so after bufferization their functions hold the same loop
// nests: the forward three or four times, the backward twice, and every
// layer repeated as often as the model repeats its shape. This pass moves
// each top-level loop nest into a function of its own and keeps one function
// per distinct nest, so that LLVM optimizes and compiles each once.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace nnc {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// The values a nest uses from outside it, in the order of first use (so
/// that identical nests get identical signatures); constants apart, to be
/// cloned into the kernel.
struct Captures {
  llvm::SetVector<Value> values;
  llvm::SetVector<Operation *> constants;

  explicit Captures(Operation *nest) {
    auto visit = [&](Value v) {
      if (nest->isAncestor(v.getParentBlock()->getParentOp()))
        return;
      Operation *def = v.getDefiningOp();
      if (def && def->getNumResults() == 1 && matchPattern(def, m_Constant()))
        constants.insert(def);
      else
        values.insert(v);
    };
    nest->walk<WalkOrder::PreOrder>([&](Operation *op) {
      for (Value v : op->getOperands())
        visit(v);
    });
  }
};

struct OutlineKernels : nnc::impl::OutlineKernelsBase<OutlineKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> functions;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal())
        functions.push_back(f);
    llvm::StringMap<func::FuncOp> kernels; // printed kernel -> kernel
    unsigned count = 0;
    for (func::FuncOp f : functions)
      for (Operation &op :
           llvm::make_early_inc_range(f.getBody().front().getOperations()))
        if (op.getNumRegions() > 0 &&
            (isa<LoopLikeOpInterface>(op) || isa<linalg::LinalgOp>(op)))
          outline(module, &op, kernels, count);
  }

  void outline(ModuleOp module, Operation *nest,
               llvm::StringMap<func::FuncOp> &kernels, unsigned &count) {
    Captures captures(nest);
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    Location loc = nest->getLoc();
    auto kernel = b.create<func::FuncOp>(
        loc, "nnc_kernel",
        b.getFunctionType(ValueRange(captures.values.getArrayRef()).getTypes(),
                          nest->getResultTypes()));
    Block *entry = kernel.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping map;
    for (Operation *c : captures.constants)
      map.map(c->getResult(0), b.clone(*c)->getResult(0));
    for (auto [i, v] : llvm::enumerate(captures.values))
      map.map(v, entry->getArgument(i));
    Operation *body = b.clone(*nest, map);
    b.create<func::ReturnOp>(loc, body->getResults());
    kernel.setPrivate();

    // The kernel's text with local value names is its identity (without
    // locations, even when --mlir-print-debuginfo asks to print them).
    std::string text;
    llvm::raw_string_ostream os(text);
    kernel.print(os, OpPrintingFlags().useLocalScope().enableDebugInfo(false));
    auto [it, fresh] = kernels.try_emplace(text, kernel);
    if (fresh) {
      kernel.setName(b.getStringAttr("nnc_kernel_" + std::to_string(count++)));
      kernel->setAttr("llvm.linkage",
                      LLVM::LinkageAttr::get(b.getContext(),
                                             LLVM::Linkage::Internal));
    } else {
      kernel.erase();
      kernel = it->second;
    }

    b.setInsertionPoint(nest);
    auto call = b.create<func::CallOp>(loc, kernel,
                                       captures.values.getArrayRef());
    nest->replaceAllUsesWith(call.getResults());
    nest->erase();
  }
};
} // namespace
