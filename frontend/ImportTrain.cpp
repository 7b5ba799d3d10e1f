//===- ImportTrain.cpp - the train block ----------------------------------===//
//
// Checks the training settings and records them, with every default filled
// in, as the module's `nnc.train` dictionary.
//
//===----------------------------------------------------------------------===//
#include "frontend/Importer.h"

using namespace mlir;
using namespace nnc;
using llvm::SMLoc;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// The train block
//===----------------------------------------------------------------------===//

namespace {
/// One optimizer's settings, in order, with defaults.
struct OptimizerSpec {
  StringRef name;
  std::vector<std::pair<StringRef, double>> settings;
};
} // namespace

static const std::vector<OptimizerSpec> &optimizers() {
  static const std::vector<OptimizerSpec> specs = {
      {"sgd", {{"lr", 0.01}, {"momentum", 0.0}, {"nesterov", 0.0}}},
      {"adam",
       {{"lr", 0.001}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-7}}},
      {"adamw",
       {{"lr", 0.001},
        {"weight_decay", 0.01},
        {"beta1", 0.9},
        {"beta2", 0.999},
        {"eps", 1e-7}}},
  };
  return specs;
}

/// Checks the range of one optimizer setting; returns the complaint or "".
static std::string checkSetting(StringRef key, double v) {
  if (key == "lr" || key == "eps")
    return v > 0 ? "" : "must be positive";
  if (key == "momentum" || key == "beta1" || key == "beta2")
    return v >= 0 && v < 1 ? "" : "must be in [0, 1)";
  if (key == "weight_decay")
    return v >= 0 ? "" : "must be non-negative";
  return "";
}

DictionaryAttr Importer::parseOptimizer(const ast::Expr *expr) {
  StringRef name;
  const ast::CallExpr *call = nullptr;
  if (expr->kind == ast::ExprKind::Ident)
    name = static_cast<const ast::IdentExpr *>(expr)->name;
  else if (expr->kind == ast::ExprKind::Call) {
    call = static_cast<const ast::CallExpr *>(expr);
    name = call->callee;
  }
  const OptimizerSpec *spec = nullptr;
  for (const OptimizerSpec &s : optimizers())
    if (s.name == name)
      spec = &s;
  if (!spec) {
    diag.error(expr->loc, "expected an optimizer: sgd(...), adam(...) or "
                          "adamw(...)" +
                              (name.empty()
                                   ? std::string()
                                   : didYouMean(name, {"sgd", "adam", "adamw"})));
    return {};
  }
  SmallVector<NamedAttribute> attrs;
  attrs.push_back(builder.getNamedAttr("kind", builder.getStringAttr(name)));
  std::vector<StringRef> keys;
  std::vector<double> values;
  for (auto &[key, value] : spec->settings) {
    keys.push_back(key);
    values.push_back(value);
  }
  bool ok = true;
  auto set = [&](size_t index, const ast::Expr *valueExpr) {
    StringRef key = keys[index];
    SValue v = key == "nesterov" ? evaluateWord(valueExpr) : evaluate(valueExpr);
    if (key == "nesterov") {
      if (v.kind != SValue::Word || (v.text != "true" && v.text != "false")) {
        diag.error(valueExpr->loc,
                   "nesterov must be true or false, got " + describe(v));
        ok = false;
        return;
      }
      values[index] = v.text == "true";
      return;
    }
    if (v.kind != SValue::Number) {
      if (v.ok())
        diag.error(valueExpr->loc,
                   key + " must be a number, got " + describe(v));
      ok = false;
      return;
    }
    std::string complaint = checkSetting(key, v.number);
    if (!complaint.empty()) {
      diag.error(valueExpr->loc, key + " " + complaint + ", got " +
                                     formatNumber(v.number));
      ok = false;
      return;
    }
    values[index] = v.number;
  };
  if (call) {
    if (call->args.size() > 1) {
      diag.error(call->args[1]->loc,
                 name + " takes the learning rate as its one positional "
                        "argument; name the others (e.g. beta1=0.9)");
      return {};
    }
    if (!call->args.empty())
      set(0, call->args[0]);
    for (const ast::NamedArg &arg : call->named) {
      auto it = llvm::find(keys, arg.name);
      if (it == keys.end()) {
        diag.error(arg.loc, name + " has no setting '" + arg.name + "'" +
                                didYouMean(arg.name, keys));
        ok = false;
        continue;
      }
      set(it - keys.begin(), arg.value);
    }
  }
  if (!ok)
    return {};
  for (auto [key, value] : llvm::zip(keys, values)) {
    if (key == "nesterov")
      attrs.push_back(builder.getNamedAttr(key, builder.getBoolAttr(value)));
    else
      attrs.push_back(
          builder.getNamedAttr(key, builder.getF64FloatAttr(value)));
  }
  return builder.getDictionaryAttr(attrs);
}

void Importer::importTrain(const ast::TrainStmt *train) {
  int64_t batch = 32, epochs = 1, seed = 0;
  double split = 0;
  bool shuffle = true;
  std::optional<std::string> data;
  DictionaryAttr optimizer;
  static const StringRef keys[] = {"data",  "optimizer",        "batch",
                                   "epochs", "validation_split", "shuffle",
                                   "seed"};
  llvm::StringMap<SMLoc> seen;
  for (const ast::TrainEntry &entry : train ? train->entries
                                            : ArrayRef<ast::TrainEntry>()) {
    if (!llvm::is_contained(keys, entry.key)) {
      diag.error(entry.keyLoc, "unknown training setting '" + entry.key +
                                   "'" + didYouMean(entry.key, keys));
      continue;
    }
    if (!seen.try_emplace(entry.key, entry.keyLoc).second) {
      diag.error(entry.keyLoc, "'" + entry.key + "' is set twice");
      continue;
    }
    if (entry.key == "optimizer") {
      optimizer = parseOptimizer(entry.value);
      continue;
    }
    SValue v = entry.key == "shuffle" ? evaluateWord(entry.value)
                                      : evaluate(entry.value);
    if (!v.ok())
      continue;
    SMLoc at = entry.value->loc;
    if (entry.key == "data") {
      if (v.kind != SValue::String)
        diag.error(at, "data must be a path in quotes, got " + describe(v));
      else
        data = v.text.str();
    } else if (entry.key == "shuffle") {
      if (v.kind != SValue::Word || (v.text != "true" && v.text != "false"))
        diag.error(at, "shuffle must be true or false, got " + describe(v));
      else
        shuffle = v.text == "true";
    } else if (entry.key == "validation_split") {
      if (v.kind != SValue::Number || v.number < 0 || v.number >= 1)
        diag.error(at, "validation_split must be a fraction in [0, 1), got " +
                           describe(v));
      else
        split = v.number;
    } else {
      // batch, epochs, seed: integers.
      bool positive = entry.key != "seed";
      if (v.kind != SValue::Number || !v.isInteger ||
          v.number < (positive ? 1 : 0) || v.number > 2147483647.0) {
        diag.error(at, entry.key + " must be a " +
                           (positive ? "positive" : "non-negative") +
                           " integer, got " + describe(v));
        continue;
      }
      (entry.key == "batch" ? batch : entry.key == "epochs" ? epochs : seed) =
          (int64_t)v.number;
    }
  }
  if (!optimizer) {
    // adam() with its defaults.
    ast::IdentExpr adam(SMLoc(), "adam");
    optimizer = parseOptimizer(&adam);
  }
  SmallVector<NamedAttribute> attrs = {
      builder.getNamedAttr("batch", builder.getI64IntegerAttr(batch)),
      builder.getNamedAttr("epochs", builder.getI64IntegerAttr(epochs)),
      builder.getNamedAttr("optimizer", optimizer),
      builder.getNamedAttr("seed", builder.getI64IntegerAttr(seed)),
      builder.getNamedAttr("shuffle", builder.getBoolAttr(shuffle)),
      builder.getNamedAttr("validation_split",
                           builder.getF64FloatAttr(split)),
  };
  if (data)
    attrs.push_back(builder.getNamedAttr("data", builder.getStringAttr(*data)));
  module->setAttr(kTrainAttr, builder.getDictionaryAttr(attrs));
}

