//===- Summary.cpp - the compile-time report of a training step -----------===//
#include "passes/Summary.h"

#include "passes/Layers.h"
#include "runtime/Format.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace nnc;
using nnc::rt::withCommas;

namespace {
/// Sizes with the batch dim at a given batch size.
struct Sizer {
  int64_t batch;

  int64_t elements(Type type) const {
    auto t = dyn_cast<RankedTensorType>(type);
    if (!t)
      return 0;
    int64_t n = 1;
    for (int64_t d : t.getShape())
      n *= ShapedType::isDynamic(d) ? batch : d;
    return n;
  }
  int64_t bytes(Type type) const {
    auto t = dyn_cast<RankedTensorType>(type);
    return t ? elements(t) * ((t.getElementTypeBitWidth() + 7) / 8) : 0;
  }
  /// Multiply-adds count 2; other ops one per element they write.
  double flops(Operation *op) const {
    if (auto mm = dyn_cast<MatmulOp>(op)) {
      auto lhs = cast<RankedTensorType>(mm.getLhs().getType());
      int64_t k = lhs.getShape().back();
      return 2.0 * elements(mm.getType()) *
             (ShapedType::isDynamic(k) ? batch : k);
    }
    if (auto conv = dyn_cast<Conv2DOp>(op)) {
      auto f = cast<RankedTensorType>(conv.getFilter().getType());
      return 2.0 * elements(conv.getType()) * f.getDimSize(0) *
             f.getDimSize(1) * f.getDimSize(2);
    }
    if (isa<RecurrentOp, RecurrentTrainOp, RecurrentGradOp>(op)) {
      // Per step: x K and h U (the backward: dA K^T, dA U^T and the two
      // weight gradients), plus ~10 operations per gate element.
      auto x = cast<RankedTensorType>(op->getOperand(isa<RecurrentGradOp>(op)
                                                         ? 1
                                                         : 0)
                                          .getType());
      auto u = cast<RankedTensorType>(
          op->getOperand(isa<RecurrentGradOp>(op) ? 3 : 2).getType());
      double rows = (double)elements(x) / x.getDimSize(2);
      double gates = u.getDimSize(1);
      double macs = rows * gates * (x.getDimSize(2) + u.getDimSize(0));
      return (isa<RecurrentGradOp>(op) ? 4.0 : 2.0) * macs + 10 * rows * gates;
    }
    if (isa<ReshapeOp, ConstantOp>(op))
      return 0;
    double n = 0;
    for (Value r : op->getResults())
      n += elements(r.getType());
    return n;
  }
};

struct LayerCost {
  double trainFlops = 0;
  int64_t keptBytes = 0;
};

std::string human(double v, const char *unit) {
  const char *prefixes[] = {"", "K", "M", "G", "T"};
  int i = 0;
  while (v >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format(i ? "%.1f " : "%.0f ", v) << prefixes[i] << unit;
  return s;
}

std::string bytesText(int64_t b) {
  const char *units[] = {"B", "KiB", "MiB", "GiB"};
  double v = (double)b;
  int i = 0;
  while (v >= 1024 && i < 3) {
    v /= 1024;
    ++i;
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format(i ? "%.1f " : "%.0f ", v) << units[i];
  return s;
}

std::string shapeText(RankedTensorType t) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(t.getShape()))
    s += (i ? ", " : "") +
         (ShapedType::isDynamic(d) ? std::string("batch") : std::to_string(d));
  return s + "]";
}

} // namespace

StepMemory nnc::measureStep(func::FuncOp entry, int64_t batch) {
  Sizer size{batch};
  StepMemory memory;
  for (BlockArgument arg : entry.getArguments())
    (entry.getArgAttr(arg.getArgNumber(), kVariableAttr) ? memory.variables
                                                         : memory.batch) +=
        size.bytes(arg.getType());
  Block &body = entry.getBody().front();
  llvm::DenseMap<Operation *, size_t> index;
  for (Operation &op : body)
    index[&op] = index.size();
  // +bytes where a value is made, -bytes after its last use.
  std::vector<int64_t> delta(index.size() + 1, 0);
  for (Operation &op : body)
    for (Value r : op.getResults()) {
      size_t last = index[&op];
      for (Operation *user : r.getUsers())
        if (Operation *inBody = body.findAncestorOpInBlock(*user))
          last = std::max(last, index[inBody]);
      int64_t bytes = size.bytes(r.getType());
      delta[index[&op]] += bytes;
      delta[last + 1] -= bytes;
    }
  int64_t live = 0;
  for (int64_t d : delta)
    memory.peak = std::max(memory.peak, live += d);
  return memory;
}

LogicalResult nnc::printTrainingSummary(ModuleOp module, raw_ostream &os) {
  func::FuncOp graph = getGraphFunction(module, "to summarize");
  if (!graph)
    return failure();
  StringRef model = module->getAttrOfType<StringAttr>(kModelAttr).getValue();
  auto train = module->getAttrOfType<DictionaryAttr>(kTrainAttr);
  int64_t batch = 32;
  std::string optimizer = "adam";
  if (train) {
    if (auto b = train.getAs<IntegerAttr>("batch"))
      batch = b.getInt();
    if (auto opt = train.getAs<DictionaryAttr>("optimizer"))
      if (auto kind = opt.getAs<StringAttr>("kind"))
        optimizer = kind.getValue().str();
  }
  Sizer size{batch};
  std::vector<LayerInfo> layers = collectLayers(module, graph);
  // Ops belong to the layer of their location. The calls of a block share
  // locations: the k-th run of forward ops at a location is the k-th layer
  // there, and the backward pass meets them in reverse order. Updates
  // belong to their parameter's layer.
  llvm::DenseMap<Location, SmallVector<size_t>> layersAt;
  for (auto [i, layer] : llvm::enumerate(layers))
    layersAt[layer.loc].push_back(i);
  auto layerOfParam = [&](StringRef param) -> int {
    for (auto [i, layer] : llvm::enumerate(layers))
      if (param.starts_with(layer.name + "."))
        return (int)i;
    return -1;
  };
  auto step = module.lookupSymbol<func::FuncOp>((model + "_train_step").str());
  std::vector<LayerCost> costs(layers.size());
  double otherFlops = 0;
  int64_t peak = 0, kept = 0, variables = 0, batchBytes = 0;
  if (step) {
    Block &body = step.getBody().front();
    llvm::DenseMap<Operation *, size_t> index;
    for (Operation &op : body)
      index[&op] = index.size();
    size_t lossIndex = 0;
    for (Operation &op : body)
      if (isa<CrossEntropyOp, BinaryCrossEntropyOp, MseOp>(op))
        lossIndex = index[&op];
    llvm::DenseMap<Location, size_t> runs;
    Location previous = step.getLoc();
    auto layerOf = [&](Operation &op) -> int {
      if (isa<SgdUpdateOp, MomentumUpdateOp, AdamUpdateOp>(op))
        if (auto arg = dyn_cast<BlockArgument>(op.getOperand(0)))
          if (auto name = step.getArgAttrOfType<StringAttr>(
                  arg.getArgNumber(), kVariableAttr))
            return layerOfParam(name.getValue());
      auto it = layersAt.find(op.getLoc());
      if (it == layersAt.end())
        return -1;
      if (op.getLoc() != previous)
        ++runs[op.getLoc()];
      size_t k = (runs[op.getLoc()] - 1) % it->second.size();
      bool backward = index[&op] > lossIndex;
      return (int)it->second[backward ? it->second.size() - 1 - k : k];
    };
    for (Operation &op : body) {
      if (index[&op] == lossIndex + 1)
        runs.clear(); // the backward pass starts over
      int layer = layerOf(op);
      previous = op.getLoc();
      double flops = size.flops(&op);
      (layer >= 0 ? costs[layer].trainFlops : otherFlops) += flops;
      for (Value r : op.getResults()) {
        size_t last = index[&op];
        for (Operation *user : r.getUsers())
          last = std::max(last, index[user]);
        if (index[&op] < lossIndex && last > lossIndex) {
          int64_t bytes = size.bytes(r.getType());
          kept += bytes;
          if (layer >= 0)
            costs[layer].keptBytes += bytes;
        }
      }
    }
    StepMemory memory = measureStep(step, batch);
    variables = memory.variables;
    batchBytes = memory.batch;
    peak = memory.peak;
  }

  os << "Model \"" << model << "\": one training step at batch " << batch
     << " (" << optimizer << ")\n";
  os << llvm::format("%-22s %-12s %5s  %-18s %12s %14s %14s\n",
                     (const char *)"Layer", (const char *)"Op",
                     (const char *)"Line", (const char *)"Output",
                     (const char *)"Params", (const char *)"Train FLOPs",
                     (const char *)"Kept for bwd");
  os << std::string(103, '=') << "\n";
  int64_t params = 0, state = 0;
  double total = otherFlops;
  for (auto [layer, cost] : llvm::zip(layers, costs)) {
    params += layer.params;
    state += layer.state;
    total += cost.trainFlops;
    os << llvm::format("%-22s %-12s %5u  %-18s %12s %14s %14s\n",
                       layer.name.c_str(), layer.op.c_str(), layer.line,
                       shapeText(layer.type).c_str(),
                       withCommas(layer.params).c_str(),
                       human(cost.trainFlops, "FLOP").c_str(),
                       bytesText(cost.keptBytes).c_str());
  }
  os << std::string(103, '=') << "\n";
  os << "Parameters: " << withCommas(params) << " trainable, "
     << withCommas(state) << " state\n";
  if (!step) {
    os << "No training step (the model has no loss or is not "
          "differentiable).\n";
    return success();
  }
  os << "FLOPs per training step: " << human(total, "FLOP") << " ("
     << human(total / batch, "FLOP") << " per sample; losses and other ops: "
     << human(otherFlops, "FLOP") << ")\n";
  os << "Peak memory of one step: "
     << bytesText(variables + batchBytes + peak) << " = "
     << bytesText(variables)
     << " variables (parameters, state, optimizer slots) + "
     << bytesText(batchBytes) << " batch + " << bytesText(peak)
     << " of tensors live at once (" << bytesText(kept)
     << " of them forward values kept for the backward pass)\n";
  return success();
}
