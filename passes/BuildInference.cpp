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
    if (failed(build(module, graph, /*eval=*/false)))
      return signalPassFailure();
    bool hasLoss = false;
    graph.walk([&](LossOp) { hasLoss = true; });
    if (hasLoss && failed(build(module, graph, /*eval=*/true)))
      return signalPassFailure();
    if (eraseGraph)
      graph.erase();
  }

  /// Builds <model>_predict (variables, inputs -> outputs) or, with `eval`,
  /// <model>_eval_step (variables, inputs, targets -> loss, metrics), both
  /// in inference mode.
  LogicalResult build(ModuleOp module, func::FuncOp graph, bool eval) {
    auto model = module->getAttrOfType<StringAttr>(kModelAttr);
    OpBuilder b(module.getContext());

    // Arguments: every variable but optimizer slots, then the inputs (and
    // targets).
    EntryArguments args(module, b);
    SmallVector<BlockArgument> interface;
    for (BlockArgument arg : graph.getArguments()) {
      unsigned i = arg.getArgNumber();
      if (graph.getArgAttr(i, kInputAttr) ||
          (eval && graph.getArgAttr(i, kTargetAttr))) {
        interface.push_back(arg);
        args.add(arg.getType(), graph.getArgAttrDict(i));
      }
    }

    b.setInsertionPointAfter(graph);
    StringRef kind = eval ? "eval_step" : "predict";
    auto func = b.create<func::FuncOp>(
        graph.getLoc(), (model.getValue() + "_" + kind).str(),
        b.getFunctionType(args.types, {}));
    func.setAllArgAttrs(args.attrs);
    func->setAttr(kEntryAttr, b.getStringAttr(kind));
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);

    IRMapping map;
    for (auto [i, arg] : llvm::enumerate(interface))
      map.map(arg, entry->getArgument(args.variables.size() + i));
    SmallVector<Value> results;
    SmallVector<NamedAttribute> resultAttrs;
    for (Operation &op : graph.getBody().front()) {
      if (auto load = dyn_cast<LoadOp>(op)) {
        map.map(load.getResult(),
                entry->getArgument(args.index.lookup(load.getVariable())));
      } else if (auto dropout = dyn_cast<DropoutOp>(op)) {
        if (map.contains(dropout.getInput()))
          map.map(dropout.getResult(), map.lookup(dropout.getInput()));
      } else if (auto output = dyn_cast<OutputOp>(op)) {
        if (eval)
          continue;
        Value value = map.lookupOrNull(output.getValue());
        if (!value) {
          func.erase();
          return output.emitError("output '")
                 << output.getName()
                 << "' depends on a target: inference has no targets";
        }
        results.push_back(value);
        resultAttrs.push_back(b.getNamedAttr(kOutputAttr, output.getNameAttr()));
      } else if (auto loss = dyn_cast<LossOp>(op)) {
        if (!eval)
          continue;
        results.push_back(map.lookup(loss.getValue()));
        resultAttrs.push_back(b.getNamedAttr(kLossAttr, b.getUnitAttr()));
      } else if (auto metric = dyn_cast<MetricOp>(op)) {
        if (!eval)
          continue;
        results.push_back(map.lookup(metric.getValue()));
        resultAttrs.push_back(b.getNamedAttr(kMetricAttr, metric.getNameAttr()));
      } else if (isa<func::ReturnOp>(op)) {
        continue;
      } else if (llvm::all_of(op.getOperands(),
                              [&](Value v) { return map.contains(v); })) {
        b.clone(op, map); // in predict, ops that read targets are skipped
      }
    }
    b.create<func::ReturnOp>(graph.getLoc(), results);
    func.setType(b.getFunctionType(args.types, ValueRange(results).getTypes()));
    for (auto [i, attr] : llvm::enumerate(resultAttrs))
      func.setResultAttr(i, attr.getName(), attr.getValue());

    // What only the loss and metrics (or outputs) needed is dead here.
    eraseDeadOps(*entry);
    return success();
  }
};
} // namespace
