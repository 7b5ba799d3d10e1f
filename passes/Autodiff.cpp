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

  /// Batchnorm in training: normalizes with the batch's statistics, built
  /// from differentiable nnc ops, and moves the running statistics.
  static Value buildBatchNormTraining(
      OpBuilder &b, BatchNormOp bn, IRMapping &map,
      SmallVectorImpl<std::pair<unsigned, Value>> &stateUpdates,
      llvm::function_ref<unsigned(Value)> variableOf) {
    Location loc = bn.getLoc();
    Value x = map.lookup(bn.getInput());
    auto xType = cast<RankedTensorType>(x.getType());
    Type element = xType.getElementType();
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i + 1 < xType.getRank(); ++i)
      axes.push_back(i);
    auto scalar = [&](double v) -> Value {
      auto t = RankedTensorType::get({}, element);
      return b.create<ConstantOp>(loc, cast<ElementsAttr>(DenseElementsAttr::get(
                                           t, b.getFloatAttr(element, v))));
    };
    auto binary = [&](auto tag, Value l, Value r) -> Value {
      using Op = decltype(tag);
      auto t = shapes::broadcast(loc, cast<RankedTensorType>(l.getType()),
                                 cast<RankedTensorType>(r.getType()));
      return b.create<Op>(loc, *t, l, r);
    };
    auto mean = [&](Value v) -> Value {
      auto t = shapes::reduce(loc, cast<RankedTensorType>(v.getType()), axes,
                              /*keepdims=*/false);
      return b.create<ReduceMeanOp>(loc, *t, v, axes, false);
    };
    Value mu = mean(x);
    Value centered = binary(SubOp(), x, mu);
    Value var = mean(binary(MulOp(), centered, centered));
    Value stddev =
        b.create<SqrtOp>(loc, binary(AddOp(), var, scalar(bn.getEps().convertToDouble())));
    Value scale = binary(DivOp(), map.lookup(bn.getGamma()), stddev);
    Value y = binary(AddOp(), binary(MulOp(), centered, scale),
                     map.lookup(bn.getBeta()));
    // running = momentum * running + (1 - momentum) * batch
    double momentum = bn.getMomentum().convertToDouble();
    for (auto [running, batch] : {std::pair{bn.getMean(), mu},
                                  std::pair{bn.getVar(), var}}) {
      Value old = map.lookup(running);
      unsigned index = variableOf(old);
      if (index == ~0u)
        continue; // not a variable: nothing to update
      Value moved =
          binary(AddOp(), binary(MulOp(), old, scalar(momentum)),
                 binary(MulOp(), batch, scalar(1 - momentum)));
      stateUpdates.push_back({index, moved});
    }
    return y;
  }

  LogicalResult build(ModuleOp module, func::FuncOp graph, LossOp loss,
                      StringRef model) {
    OpBuilder b(module.getContext());
    // Arguments: every variable, then the graph's inputs and targets, then
    // the key of the step's dropout masks.
    EntryArguments args(module, b);
    SmallVector<VariableOp> &variables = args.variables;
    for (BlockArgument arg : graph.getArguments())
      args.add(arg.getType(), graph.getArgAttrDict(arg.getArgNumber()));
    args.add(RankedTensorType::get({}, b.getI32Type()),
             b.getDictionaryAttr(b.getNamedAttr(kKeyAttr, b.getUnitAttr())));
    b.setInsertionPointAfter(graph);
    auto func = b.create<func::FuncOp>(
        graph.getLoc(), (model + "_gradients").str(),
        b.getFunctionType(args.types, {}));
    func.setAllArgAttrs(args.attrs);
    func->setAttr(kEntryAttr, b.getStringAttr("gradients"));
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value key = entry->getArguments().back();

    // The forward graph in training mode; what depends on a trainable
    // parameter needs a gradient.
    IRMapping map;
    for (BlockArgument arg : graph.getArguments())
      map.map(arg, entry->getArgument(variables.size() + arg.getArgNumber()));
    llvm::DenseSet<Value> needsGrad;
    SmallVector<Operation *> forward;
    SmallVector<Value> metrics;
    SmallVector<Attribute> metricNames;
    // New values of state variables (batchnorm's running statistics).
    SmallVector<std::pair<unsigned, Value>> stateUpdates;
    auto variableOf = [&](Value v) -> unsigned {
      auto arg = dyn_cast<BlockArgument>(v);
      return arg && arg.getOwner() == entry ? arg.getArgNumber() : ~0u;
    };
    for (Operation &op : graph.getBody().front()) {
      if (auto load = dyn_cast<LoadOp>(op)) {
        unsigned i = args.index.lookup(load.getVariable());
        map.map(load.getResult(), entry->getArgument(i));
        if (variables[i].getKind() == VariableKind::param)
          needsGrad.insert(entry->getArgument(i));
        continue;
      }
      if (auto metric = dyn_cast<MetricOp>(op)) {
        metrics.push_back(map.lookup(metric.getValue()));
        metricNames.push_back(metric.getNameAttr());
        continue;
      }
      if (isa<OutputOp, LossOp, func::ReturnOp>(op))
        continue;
      // Where this op's clone (or decomposition) starts: after the last op.
      Operation *last = entry->empty() ? nullptr : &entry->back();
      if (auto dropout = dyn_cast<DropoutOp>(op)) {
        map.map(dropout.getResult(),
                b.create<DropoutTrainOp>(
                    dropout.getLoc(), map.lookup(dropout.getInput()), key,
                    dropout.getRateAttr(), dropout.getStreamAttr()));
      } else if (auto rnn = dyn_cast<RecurrentOp>(op)) {
        // In training a recurrent layer keeps its gates and states.
        auto train = b.create<RecurrentTrainOp>(
            rnn.getLoc(),
            TypeRange{rnn.getType(),
                      RankedTensorType::get(
                          {rnn.getInput().getType().getDimSize(0),
                           rnn.getInput().getType().getDimSize(1),
                           rnn.getSlots() * rnn.getUnits()},
                          rnn.getType().getElementType())},
            map.lookup(rnn.getInput()), map.lookup(rnn.getKernel()),
            map.lookup(rnn.getRecurrentKernel()), map.lookup(rnn.getBias()),
            rnn.getCellAttr(), rnn.getActivationAttr(),
            rnn.getReturnSequencesAttr());
        map.map(rnn.getResult(), train.getResult());
      } else if (auto bn = dyn_cast<BatchNormOp>(op)) {
        Value y = buildBatchNormTraining(b, bn, map, stateUpdates, variableOf);
        map.map(bn.getResult(), y);
      } else {
        b.clone(op, map);
      }
      // Every op built for this one (one, or a decomposition).
      for (Operation &built : llvm::make_range(
               last ? std::next(last->getIterator()) : entry->begin(),
               entry->end())) {
        forward.push_back(&built);
        if (llvm::any_of(built.getOperands(),
                         [&](Value v) { return needsGrad.contains(v); }))
          for (Value r : built.getResults())
            needsGrad.insert(r);
      }
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

    // Results: the loss, the metrics, each parameter's gradient, the new
    // values of state variables.
    b.setInsertionPointToEnd(entry);
    SmallVector<Value> results{lossValue};
    llvm::append_range(results, metrics);
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
    for (auto &[i, value] : stateUpdates)
      results.push_back(value);
    b.create<func::ReturnOp>(graph.getLoc(), results);
    func.setType(b.getFunctionType(args.types, ValueRange(results).getTypes()));
    unsigned r = 0;
    func.setResultAttr(r++, kLossAttr, b.getUnitAttr());
    for (Attribute name : metricNames)
      func.setResultAttr(r++, kMetricAttr, name);
    for (Attribute name : names)
      func.setResultAttr(r++, kGradientAttr, name);
    for (auto &[i, value] : stateUpdates)
      func.setResultAttr(r++, kUpdateAttr, variables[i].getSymNameAttr());

    // Forward values only the outputs needed are dead here.
    eraseDeadOps(*entry);
    return success();
  }
};
} // namespace
