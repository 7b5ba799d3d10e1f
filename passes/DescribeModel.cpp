//===- DescribeModel.cpp - the model's interface as JSON ------------------===//
//
// The runtime (runtime/Model.cpp) reads this description; its keys are the
// contract between the two (documented in docs/abi.md).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "passes/Layers.h"
#include "passes/Summary.h"

#include "llvm/Support/JSON.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/xxhash.h"

namespace nnc {
#define GEN_PASS_DEF_DESCRIBEMODEL
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;
namespace json = llvm::json;

static std::string dtypeOf(Type type) {
  Type el = cast<ShapedType>(type).getElementType();
  return el.isF32() ? "f32" : el.isF64() ? "f64" : "i32";
}

/// Shape with -1 for the batch dim.
static json::Array shapeOf(Type type) {
  json::Array shape;
  for (int64_t d : cast<ShapedType>(type).getShape())
    shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return shape;
}

static json::Object tensorInfo(StringRef name, Type type) {
  return json::Object{
      {"name", name}, {"dtype", dtypeOf(type)}, {"shape", shapeOf(type)}};
}

static json::Value attrToJson(Attribute attr) {
  if (auto s = dyn_cast<StringAttr>(attr))
    return s.getValue();
  if (auto b = dyn_cast<BoolAttr>(attr))
    return b.getValue();
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return i.getInt();
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto d = dyn_cast<DictionaryAttr>(attr)) {
    json::Object o;
    for (NamedAttribute n : d)
      o[n.getName().getValue()] = attrToJson(n.getValue());
    return o;
  }
  return nullptr;
}

/// The layers, for the executable's `summary`.
static json::Array describeLayers(ModuleOp module, func::FuncOp graph) {
  json::Array layers;
  for (const LayerInfo &l : collectLayers(module, graph))
    layers.push_back(json::Object{{"name", l.name},
                                  {"op", l.op},
                                  {"shape", shapeOf(l.type)},
                                  {"params", l.params},
                                  {"state", l.state},
                                  {"line", (int64_t)l.line}});
  return layers;
}

/// The index of each variable in module order.
static llvm::StringMap<int64_t> variableIndices(ModuleOp module) {
  llvm::StringMap<int64_t> index;
  for (auto var : module.getOps<VariableOp>())
    index.try_emplace(var.getSymName(), (int64_t)index.size());
  return index;
}

/// normalize's statistics: which input, which variables.
static json::Array normalizers(ModuleOp module, func::FuncOp graph) {
  json::Array list;
  llvm::StringMap<int64_t> index = variableIndices(module);
  graph.walk([&](NormalizeOp op) {
    auto arg = dyn_cast<BlockArgument>(op.getInput());
    auto mean = op.getMean().getDefiningOp<LoadOp>();
    auto var = op.getVar().getDefiningOp<LoadOp>();
    if (!arg || !mean || !var)
      return;
    auto input = graph.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                    kInputAttr);
    if (!input)
      return;
    list.push_back(json::Object{{"input", input.getValue()},
                                {"mean", index.lookup(mean.getVariable())},
                                {"var", index.lookup(var.getVariable())}});
  });
  return list;
}

/// What one call of an entry point holds in memory as a function of the
/// batch size B, for the runtime's check that a run fits the machine
/// before it starts: the variables' bytes, and the batch's tensors plus
/// the most tensors live at once (measureStep), which is the largest of
/// lines a + b*B (one per program point). Two of them are recorded, each a
/// lower bound: the one through B = 1, 2 and the one through B = 2^16,
/// 2^17 (the largest slope).
static json::Object memoryOf(func::FuncOp entry) {
  StepMemory one = measureStep(entry, 1);
  auto bytesAt = [&](int64_t batch) {
    StepMemory m = batch == 1 ? one : measureStep(entry, batch);
    return m.batch + m.peak;
  };
  auto line = [&](int64_t b1) {
    int64_t y1 = bytesAt(b1), y2 = bytesAt(2 * b1);
    int64_t slope = (y2 - y1) / b1;
    return json::Array{y1 - slope * b1, slope};
  };
  return json::Object{{"variables", one.variables},
                      {"small", line(1)},
                      {"large", line(1 << 16)}};
}

/// Identifies the model (its variables and graph, not the train settings
/// or source locations), so that a checkpoint of another model is refused.
static std::string modelHash(ModuleOp module, func::FuncOp graph) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (auto var : module.getOps<VariableOp>())
    os << var.getSymName() << ':' << var.getType() << '\n';
  graph->print(os, OpPrintingFlags().elideLargeElementsAttrs(16));
  return llvm::utohexstr(llvm::xxh3_64bits(text), /*LowerCase=*/true);
}

namespace {
struct DescribeModel : nnc::impl::DescribeModelBase<DescribeModel> {
  using DescribeModelBase::DescribeModelBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp graph = getGraphFunction(module, "to describe");
    if (!graph)
      return signalPassFailure();
    auto model = module->getAttrOfType<StringAttr>(kModelAttr);
    json::Array variables, inputs, targets, outputs, metrics;
    for (auto var : module.getOps<VariableOp>()) {
      json::Object v = tensorInfo(var.getSymName(), var.getType());
      v["kind"] = stringifyVariableKind(var.getKind());
      v["init"] = stringifyInitKind(var.getInit());
      v["scale"] = var.getScale().convertToDouble();
      v["fan_in"] = var.getFanIn();
      v["fan_out"] = var.getFanOut();
      variables.push_back(std::move(v));
    }
    for (BlockArgument arg : graph.getArguments()) {
      unsigned i = arg.getArgNumber();
      if (auto name = graph.getArgAttrOfType<StringAttr>(i, kInputAttr))
        inputs.push_back(tensorInfo(name.getValue(), arg.getType()));
      if (auto name = graph.getArgAttrOfType<StringAttr>(i, kTargetAttr))
        targets.push_back(tensorInfo(name.getValue(), arg.getType()));
    }
    bool hasLoss = false;
    graph.walk([&](Operation *op) {
      if (auto out = dyn_cast<OutputOp>(op))
        outputs.push_back(tensorInfo(out.getName(), out.getValue().getType()));
      else if (auto metric = dyn_cast<MetricOp>(op))
        metrics.push_back(metric.getName());
      else if (isa<LossOp>(op))
        hasLoss = true;
    });
    json::Object entries, memory;
    for (auto func : module.getOps<func::FuncOp>())
      if (auto kind = func->getAttrOfType<StringAttr>(kEntryAttr)) {
        entries[kind.getValue()] = func.getSymName();
        memory[kind.getValue()] = memoryOf(func);
      }

    json::Object description{
        {"abi", kAbiVersion},
        {"model", model.getValue()},
        {"variables", std::move(variables)},
        {"inputs", std::move(inputs)},
        {"targets", std::move(targets)},
        {"outputs", std::move(outputs)},
        {"metrics", std::move(metrics)},
        {"has_loss", hasLoss},
        {"entries", std::move(entries)},
        {"memory", std::move(memory)},
        {"device", device.getValue()},
    };
    if (device == "cuda")
      description["gpu_arch"] = gpuArch.getValue();
    if (Attribute train = module->getAttr(kTrainAttr))
      description["train"] = attrToJson(train);
    description["layers"] = describeLayers(module, graph);
    description["normalize"] = normalizers(module, graph);
    description["source_hash"] = modelHash(module, graph);
    std::string text;
    llvm::raw_string_ostream os(text);
    os << json::Value(std::move(description));
    module->setAttr("nnc.description", StringAttr::get(&getContext(), text));

    graph.erase();
    for (auto var : llvm::make_early_inc_range(module.getOps<VariableOp>()))
      var.erase();
  }
};
} // namespace
