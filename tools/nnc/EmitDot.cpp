//===- EmitDot.cpp - the forward graph as Graphviz DOT --------------------===//
#include "tools/nnc/EmitDot.h"
#include "ir/NncOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Format.h"

using namespace mlir;

/// Escapes quotes for a double-quoted DOT string (labels keep their \n).
static std::string escape(StringRef s) {
  std::string out;
  for (char c : s) {
    if (c == '"')
      out += '\\';
    out += c;
  }
  return out;
}

static std::string lineOf(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return "line " + std::to_string(file.getLine());
  return "";
}

void nnc::emitDot(ModuleOp module, llvm::raw_ostream &os) {
  auto model = module->getAttrOfType<StringAttr>(kModelAttr);
  os << "digraph \"" << escape(model ? model.getValue() : "model") << "\" {\n"
     << "  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  llvm::DenseMap<Value, std::string> ids;
  unsigned next = 0;
  auto node = [&](Value v, StringRef label, StringRef attrs) {
    std::string id = "n" + std::to_string(next++);
    ids[v] = id;
    os << "  " << id << " [label=\"" << escape(label) << "\"" << attrs
       << "];\n";
  };
  module.walk([&](func::FuncOp func) {
    for (BlockArgument arg : func.getArguments()) {
      auto input = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                     kInputAttr);
      auto target = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                      kTargetAttr);
      std::string label = (input ? "input " + input.getValue().str()
                                 : "target " + target.getValue().str()) +
                          "\\n" + formatType(arg.getType());
      node(arg, label, ", shape=ellipse, style=filled, fillcolor=lightblue");
    }
    func.walk([&](Operation *op) {
      if (isa<func::FuncOp, func::ReturnOp>(op))
        return;
      std::string label;
      std::string attrs = ", shape=box";
      if (auto load = dyn_cast<LoadOp>(op)) {
        label = load.getVariable().str() + "\\n" + formatType(load.getType());
        attrs = ", shape=box, style=filled, fillcolor=lightgrey";
      } else if (auto cst = dyn_cast<ConstantOp>(op)) {
        std::string text;
        llvm::raw_string_ostream s(text);
        if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue());
            dense && dense.isSplat() && isa<FloatType>(dense.getElementType()))
          s << llvm::format("%g",
                            dense.getSplatValue<APFloat>().convertToDouble());
        else
          s << "constant";
        label = text;
        attrs = ", shape=plaintext";
      } else if (isa<OutputOp, LossOp, MetricOp>(op)) {
        std::string name = isa<LossOp>(op) ? "loss"
                           : isa<OutputOp>(op)
                               ? "output " + cast<OutputOp>(op).getName().str()
                               : "metric " + cast<MetricOp>(op).getName().str();
        label = name;
        attrs = ", shape=doubleoctagon, style=filled, fillcolor=palegreen";
      } else {
        label = op->getName().stripDialect().str();
        if (op->getNumResults() == 1)
          label += "\\n" + formatType(op->getResult(0).getType());
        std::string line = lineOf(op->getLoc());
        if (!line.empty())
          label += "\\n" + line;
      }
      std::string id = "n" + std::to_string(next++);
      os << "  " << id << " [label=\"" << escape(label) << "\"" << attrs
         << "];\n";
      for (Value operand : op->getOperands()) {
        auto it = ids.find(operand);
        if (it != ids.end())
          os << "  " << it->second << " -> " << id << ";\n";
      }
      for (Value result : op->getResults())
        ids[result] = id;
    });
  });
  os << "}\n";
}
