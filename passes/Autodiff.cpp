//===- Autodiff.cpp - reverse-mode differentiation of the loss ------------===//
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

namespace nnc {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {
struct Autodiff : nnc::impl::AutodiffBase<Autodiff> {
  using AutodiffBase::AutodiffBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp graph = getGraphFunction(module, "to differentiate");
    if (!graph)
      return signalPassFailure();
    auto model = module->getAttrOfType<StringAttr>(kModelAttr);
    LossOp loss;
    graph.walk([&](LossOp op) { loss = op; });
    if (!loss) {
      if (requireLoss) {
        graph.emitError("the model has no loss: nothing to differentiate");
        signalPassFailure();
      }
      return;
    }
    if (failed(build(module, graph, loss, model.getValue())))
      signalPassFailure();
  }

  LogicalResult build(ModuleOp module, func::FuncOp graph, LossOp loss,
                      StringRef model) {
    OpBuilder b(module.getContext());
    // Arguments: every variable, then the graph's inputs and targets.
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    SmallVector<VariableOp> variables;
    llvm::StringMap<unsigned> varIndex;
    for (auto var : module.getOps<VariableOp>()) {
      varIndex[var.getSymName()] = argTypes.size();
      variables.push_back(var);
      argTypes.push_back(var.getType());
      argAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr("nnc.variable", var.getSymNameAttr())));
    }
    for (BlockArgument arg : graph.getArguments()) {
      argTypes.push_back(arg.getType());
      argAttrs.push_back(graph.getArgAttrDict(arg.getArgNumber()));
    }
    b.setInsertionPointAfter(graph);
    auto func = b.create<func::FuncOp>(
        graph.getLoc(), (model + "_gradients").str(),
        b.getFunctionType(argTypes, {}));
    func.setAllArgAttrs(argAttrs);
    func->setAttr("nnc.entry", b.getStringAttr("gradients"));
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);

    // The forward graph; what depends on a trainable parameter needs a
    // gradient.
    IRMapping map;
    for (BlockArgument arg : graph.getArguments())
      map.map(arg, entry->getArgument(variables.size() + arg.getArgNumber()));
    llvm::DenseSet<Value> needsGrad;
    SmallVector<Operation *> forward;
    for (Operation &op : graph.getBody().front()) {
      if (auto load = dyn_cast<LoadOp>(op)) {
        unsigned i = varIndex.lookup(load.getVariable());
        map.map(load.getResult(), entry->getArgument(i));
        if (variables[i].getKind() == VariableKind::param)
          needsGrad.insert(entry->getArgument(i));
        continue;
      }
      if (isa<OutputOp, LossOp, MetricOp, func::ReturnOp>(op))
        continue;
      Operation *clone = b.clone(op, map);
      forward.push_back(clone);
      if (llvm::any_of(clone->getOperands(),
                       [&](Value v) { return needsGrad.contains(v); }))
        for (Value r : clone->getResults())
          needsGrad.insert(r);
    }
    Value lossValue = map.lookup(loss.getValue());

    // Backward, from d loss / d loss = 1.
    llvm::DenseMap<Value, Value> grads;
    auto lossType = cast<RankedTensorType>(lossValue.getType());
    grads[lossValue] = b.create<ConstantOp>(
        loss.getLoc(), cast<ElementsAttr>(DenseElementsAttr::get(
                           lossType, b.getFloatAttr(lossType.getElementType(),
                                                    1.0))));
    for (Operation *op : llvm::reverse(forward)) {
      SmallVector<Value> resultGrads;
      for (Value r : op->getResults())
        resultGrads.push_back(grads.lookup(r));
      if (llvm::all_of(resultGrads, [](Value v) { return !v; }))
        continue; // does not reach the loss
      if (!llvm::any_of(op->getOperands(),
                        [&](Value v) { return needsGrad.contains(v); }))
        continue; // no parameter behind it
      auto diff = dyn_cast<DifferentiableOp>(op);
      if (!diff) {
        // Without --emit=grad (require-loss) the model still compiles for
        // inference: no gradients entry.
        if (!requireLoss) {
          func.erase();
          return success();
        }
        return op->emitError("'")
               << op->getName().stripDialect()
               << "' is not differentiable yet, and it is on the path from "
                  "the parameters to the loss";
      }
      SmallVector<Value> operandGrads;
      b.setInsertionPointToEnd(entry);
      if (failed(diff.buildGradients(b, resultGrads, operandGrads)))
        return failure();
      for (auto [operand, grad] :
           llvm::zip(op->getOperands(), operandGrads)) {
        if (!grad || !needsGrad.contains(operand))
          continue;
        Value &slot = grads[operand];
        slot = slot ? b.create<AddOp>(op->getLoc(), operand.getType(), slot,
                                      grad)
                          .getResult()
                    : grad;
      }
    }

    // Results: the loss, then each parameter's gradient.
    b.setInsertionPointToEnd(entry);
    SmallVector<Value> results{lossValue};
    SmallVector<Attribute> names;
    for (auto [i, var] : llvm::enumerate(variables)) {
      if (var.getKind() != VariableKind::param)
        continue;
      Value g = grads.lookup(entry->getArgument(i));
      if (!g) {
        auto t = cast<RankedTensorType>(var.getType());
        g = b.create<ConstantOp>(
            var.getLoc(), cast<ElementsAttr>(DenseElementsAttr::get(
                              t, b.getFloatAttr(t.getElementType(), 0.0))));
      }
      results.push_back(g);
      names.push_back(var.getSymNameAttr());
    }
    b.create<func::ReturnOp>(graph.getLoc(), results);
    func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
    func.setResultAttr(0, "nnc.loss", b.getUnitAttr());
    for (auto [i, name] : llvm::enumerate(names))
      func.setResultAttr(i + 1, "nnc.gradient", name);

    // Forward values only the metrics or outputs needed are dead here.
    for (Operation &op :
         llvm::make_early_inc_range(llvm::reverse(entry->getOperations())))
      if (op.use_empty() && isMemoryEffectFree(&op) &&
          !op.hasTrait<OpTrait::IsTerminator>())
        op.erase();
    return success();
  }
};
} // namespace
