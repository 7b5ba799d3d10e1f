//===- Layers.cpp - the model's layers, for summaries ---------------------===//
#include "passes/Layers.h"

#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace nnc;

/// Elements per sample (the dynamic batch dim counts once).
static int64_t perSample(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t)
    return 0;
  int64_t n = 1;
  for (int64_t d : t.getShape())
    if (!ShapedType::isDynamic(d))
      n *= d;
  return n;
}

/// The name users know the op by.
static std::string kindOf(Operation *op) {
  if (isa<MatmulOp>(op))
    return "dense";
  if (isa<ReshapeOp>(op))
    return "flatten";
  if (auto rnn = dyn_cast<RecurrentOp>(op))
    return rnn.getCell().str();
  return op->getName().stripDialect().str();
}

/// How much an op says about its layer: the main op names the layer.
static int rank(Operation *op) {
  if (isa<MatmulOp, Conv2DOp, MaxPool2DOp, AvgPool2DOp, BatchNormOp,
          LayerNormOp, NormalizeOp, DropoutOp, EmbeddingOp, ConcatOp,
          RecurrentOp>(op))
    return 3;
  if (isa<SoftmaxOp, LogSoftmaxOp, ReshapeOp, TransposeOp>(op))
    return 2;
  return 1;
}

std::vector<LayerInfo> nnc::collectLayers(ModuleOp module,
                                          func::FuncOp graph) {
  llvm::StringMap<VariableOp> variables;
  for (auto var : module.getOps<VariableOp>())
    variables[var.getSymName()] = var;
  std::vector<LayerInfo> layers;
  llvm::StringMap<unsigned> counts;
  Location current = UnknownLoc::get(module.getContext());
  int bestRank = 0;
  for (Operation &op : graph.getBody().front()) {
    // Losses and metrics are not layers.
    if (isa<OutputOp, LossOp, MetricOp, func::ReturnOp, ConstantOp,
            CrossEntropyOp, BinaryCrossEntropyOp, MseOp, AccuracyOp>(op))
      continue;
    if (layers.empty() || op.getLoc() != current) {
      current = op.getLoc();
      layers.emplace_back(op.getLoc());
      bestRank = 0;
      if (auto file = dyn_cast<FileLineColLoc>(op.getLoc()))
        layers.back().line = file.getLine();
    }
    LayerInfo &layer = layers.back();
    if (auto load = dyn_cast<LoadOp>(op)) {
      VariableOp var = variables.lookup(load.getVariable());
      int64_t n = var ? perSample(var.getType()) : 0;
      (var && var.getKind() == VariableKind::param ? layer.params
                                                   : layer.state) += n;
      if (layer.name.empty() && var)
        layer.name = var.getSymName().rsplit('.').first.str();
      continue;
    }
    for (Value r : op.getResults())
      layer.type = dyn_cast<RankedTensorType>(r.getType());
    if (rank(&op) > bestRank) {
      bestRank = rank(&op);
      layer.op = kindOf(&op);
    }
  }
  // Layers that only loaded variables (none here) or built nothing.
  llvm::erase_if(layers, [](const LayerInfo &l) { return !l.type; });
  for (LayerInfo &layer : layers)
    if (layer.name.empty())
      layer.name = layer.op + "_" + std::to_string(++counts[layer.op]);
  return layers;
}
