//===- BuildInference.cpp - the <model>_predict entry point ---------------===//
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace nnc {
#define GEN_PASS_DEF_BUILDINFERENCE
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {
struct BuildInference : nnc::impl::BuildInferenceBase<BuildInference> {
  using BuildInferenceBase::BuildInferenceBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp graph = getGraphFunction(module, "to build predict from");
    if (!graph)
      return signalPassFailure();
    auto model = module->getAttrOfType<StringAttr>(kModelAttr);
    OpBuilder b(module.getContext());

    // Arguments: every variable, then the inputs.
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    llvm::StringMap<unsigned> varIndex;
    for (auto var : module.getOps<VariableOp>()) {
      varIndex[var.getSymName()] = argTypes.size();
      argTypes.push_back(var.getType());
      argAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr("nnc.variable", var.getSymNameAttr())));
    }
    SmallVector<BlockArgument> inputs;
    for (BlockArgument arg : graph.getArguments()) {
      if (auto name = graph.getArgAttr(arg.getArgNumber(), kInputAttr)) {
        inputs.push_back(arg);
        argTypes.push_back(arg.getType());
        argAttrs.push_back(
            b.getDictionaryAttr(b.getNamedAttr(kInputAttr, name)));
      }
    }

    b.setInsertionPointAfter(graph);
    auto predict = b.create<func::FuncOp>(
        graph.getLoc(), (model.getValue() + "_predict").str(),
        b.getFunctionType(argTypes, {}));
    predict.setAllArgAttrs(argAttrs);
    predict->setAttr("nnc.entry", b.getStringAttr("predict"));
    Block *entry = predict.addEntryBlock();
    b.setInsertionPointToStart(entry);

    IRMapping map;
    for (auto [i, arg] : llvm::enumerate(inputs))
      map.map(arg, entry->getArgument(varIndex.size() + i));
    SmallVector<Value> results;
    SmallVector<Attribute> names;
    for (Operation &op : graph.getBody().front()) {
      if (auto load = dyn_cast<LoadOp>(op)) {
        map.map(load.getResult(),
                entry->getArgument(varIndex.lookup(load.getVariable())));
      } else if (auto dropout = dyn_cast<DropoutOp>(op)) {
        if (map.contains(dropout.getInput()))
          map.map(dropout.getResult(), map.lookup(dropout.getInput()));
      } else if (auto output = dyn_cast<OutputOp>(op)) {
        Value value = map.lookupOrNull(output.getValue());
        if (!value) {
          output.emitError("output '")
              << output.getName()
              << "' depends on a target: inference has no targets";
          predict.erase();
          return signalPassFailure();
        }
        results.push_back(value);
        names.push_back(output.getNameAttr());
      } else if (isa<LossOp, MetricOp, func::ReturnOp>(op)) {
        continue;
      } else if (llvm::all_of(op.getOperands(),
                              [&](Value v) { return map.contains(v); })) {
        b.clone(op, map); // ops that read targets are skipped
      }
    }
    b.create<func::ReturnOp>(graph.getLoc(), results);
    predict.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
    for (auto [i, name] : llvm::enumerate(names))
      predict.setResultAttr(i, kOutputAttr, name);

    // What only the loss and metrics needed is dead here.
    for (Operation &op :
         llvm::make_early_inc_range(llvm::reverse(entry->getOperations())))
      if (op.use_empty() && isMemoryEffectFree(&op) &&
          !op.hasTrait<OpTrait::IsTerminator>())
        op.erase();
    if (eraseGraph)
      graph.erase();
  }
};
} // namespace
