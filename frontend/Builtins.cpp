//===- Builtins.cpp - signatures of the language's operations -------------===//
#include "frontend/Builtins.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace nnc;
using llvm::StringRef;

static const std::vector<OpSpec> &opTable() {
  using K = ArgKind;
  static const ArgSpec x{"x", K::Tensor, true};
  static const ArgSpec name{"name", K::String};
  static const ArgSpec activation{"activation", K::Activation};
  static const ArgSpec useBias{"use_bias", K::Bool};
  static const ArgSpec init{"init", K::Init};
  static const ArgSpec padding{"padding", K::Choice, false, "valid,same"};
  static const std::vector<OpSpec> table = [] {
    std::vector<OpSpec> t;
    for (StringRef unary :
         {"relu", "sigmoid", "tanh", "gelu", "exp", "log", "sqrt", "abs"})
      t.push_back({unary, {x}});
    t.push_back({"leaky_relu", {x, {"alpha", K::Float}}});
    t.push_back({"softmax", {x, {"axis", K::Int}}});
    t.push_back({"log_softmax", {x, {"axis", K::Int}}});
    t.push_back({"flatten", {x}});
    t.push_back({"reshape", {x, {"shape", K::IntList, true}}});
    t.push_back({"transpose", {x, {"perm", K::IntList, true}}});
    t.push_back({"concat", {{"axis", K::Int}}, /*variadic=*/true});
    for (StringRef reduce : {"sum", "mean", "max"})
      t.push_back({reduce,
                   {x, {"axis", K::Axes}, {"keepdims", K::Bool}}});
    t.push_back({"dense",
                 {x, {"units", K::Int, true}, activation, useBias, init, name},
                 false,
                 true});
    t.push_back({"conv2d",
                 {x,
                  {"filters", K::Int, true},
                  {"kernel", K::IntOrPair},
                  {"stride", K::IntOrPair},
                  padding,
                  activation,
                  useBias,
                  init,
                  name},
                 false,
                 true});
    for (StringRef pool : {"maxpool2d", "avgpool2d"})
      t.push_back({pool,
                   {x, {"size", K::IntOrPair}, {"stride", K::IntOrPair},
                    padding}});
    t.push_back({"global_avgpool2d", {x}});
    t.push_back({"batchnorm",
                 {x, {"momentum", K::Float}, {"eps", K::Float}, name},
                 false,
                 true});
    t.push_back({"layernorm", {x, {"eps", K::Float}, name}, false, true});
    t.push_back({"normalize", {x, name}, false, true});
    t.push_back({"dropout", {x, {"rate", K::Float, true}}});
    t.push_back({"embedding",
                 {{"ids", K::Tensor, true},
                  {"vocab", K::Int, true},
                  {"dim", K::Int, true},
                  init,
                  name,
                  {"dtype", K::Choice, false, "f32,f64"}},
                 false,
                 true});
    t.push_back({"rnn",
                 {x,
                  {"units", K::Int, true},
                  {"activation", K::Activation},
                  {"return_sequences", K::Bool},
                  name},
                 false,
                 true});
    for (StringRef cell : {"lstm", "gru"})
      t.push_back({cell,
                   {x, {"units", K::Int, true}, {"return_sequences", K::Bool},
                    name},
                   false,
                   true});
    t.push_back({"attention",
                 {{"q", K::Tensor, true},
                  {"k", K::Tensor, true},
                  {"v", K::Tensor, true},
                  {"heads", K::Int},
                  {"causal", K::Bool}}});
    t.push_back({"cross_entropy",
                 {{"logits", K::Tensor, true}, {"labels", K::Tensor, true}}});
    t.push_back({"binary_cross_entropy",
                 {{"logits", K::Tensor, true}, {"targets", K::Tensor, true}}});
    t.push_back({"mse",
                 {{"pred", K::Tensor, true}, {"target", K::Tensor, true}}});
    t.push_back({"accuracy",
                 {{"logits", K::Tensor, true}, {"labels", K::Tensor, true}}});
    return t;
  }();
  return table;
}

const OpSpec *nnc::lookupOp(StringRef name) {
  for (const OpSpec &spec : opTable())
    if (spec.name == name)
      return &spec;
  return nullptr;
}

bool nnc::isKnownWord(StringRef name) {
  static const llvm::StringSet<> words = {
      "true",       "false",        "none",          "valid",
      "same",       "relu",         "sigmoid",       "tanh",
      "gelu",       "exp",          "log",           "sqrt",
      "abs",        "leaky_relu",   "softmax",       "glorot_uniform",
      "glorot_normal", "he_uniform", "he_normal",    "zeros",
      "ones"};
  return words.contains(name);
}

std::vector<StringRef> nnc::allOpNames() {
  std::vector<StringRef> names;
  for (const OpSpec &spec : opTable())
    names.push_back(spec.name);
  return names;
}

std::vector<StringRef> nnc::splitChoices(StringRef choices) {
  llvm::SmallVector<StringRef> parts;
  choices.split(parts, ',');
  return {parts.begin(), parts.end()};
}

std::string nnc::didYouMean(StringRef name,
                            llvm::ArrayRef<StringRef> candidates) {
  StringRef best;
  unsigned bestDistance = ~0u;
  for (StringRef c : candidates) {
    unsigned d = name.edit_distance(c, /*AllowReplacements=*/true,
                                    /*MaxEditDistance=*/bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  // Accept up to a third of the name's length in edits (at least one).
  if (best.empty() || bestDistance > std::max<size_t>(2, name.size() / 3))
    return "";
  return "; did you mean '" + best.str() + "'?";
}

static std::string argNames(const OpSpec &spec) {
  std::string out;
  for (const ArgSpec &a : spec.args) {
    if (!out.empty())
      out += ", ";
    out += a.name.str();
  }
  return out;
}

std::optional<BoundArgs> nnc::bindArgs(const ast::CallExpr *call,
                                       const OpSpec &spec, DiagEmitter &diag) {
  BoundArgs bound;
  bound.args.assign(spec.args.size(), nullptr);
  size_t positional = call->args.size();
  if (spec.variadic) {
    bound.variadic.assign(call->args.begin(), call->args.end());
    if (bound.variadic.empty()) {
      diag.error(call->loc, spec.name + " needs at least one tensor");
      return std::nullopt;
    }
  } else {
    if (positional > spec.args.size()) {
      diag.error(call->args[spec.args.size()]->loc,
                 spec.name + " takes at most " + llvm::Twine(spec.args.size()) +
                     " argument" + (spec.args.size() == 1 ? "" : "s") + " (" +
                     argNames(spec) + "), got " + llvm::Twine(positional));
      return std::nullopt;
    }
    for (size_t i = 0; i < positional; ++i)
      bound.args[i] = call->args[i];
  }
  std::vector<StringRef> names;
  for (const ArgSpec &a : spec.args)
    names.push_back(a.name);
  bool ok = true;
  for (const ast::NamedArg &named : call->named) {
    auto it = llvm::find(names, named.name);
    if (it == names.end()) {
      diag.error(named.loc, spec.name + " has no argument '" + named.name +
                                "'" + didYouMean(named.name, names));
      ok = false;
      continue;
    }
    size_t index = it - names.begin();
    if (bound.args[index]) {
      diag.error(named.loc, "argument '" + named.name + "' of " + spec.name +
                                " is given twice");
      ok = false;
      continue;
    }
    bound.args[index] = named.value;
  }
  if (!ok)
    return std::nullopt;
  for (size_t i = 0; i < spec.args.size(); ++i) {
    if (spec.args[i].required && !bound.args[i]) {
      std::string required;
      for (const ArgSpec &a : spec.args)
        if (a.required)
          required += (required.empty() ? "" : ", ") + a.name.str();
      diag.error(call->loc, spec.name + " needs argument '" +
                                spec.args[i].name + "' (required: " +
                                required + ")");
      return std::nullopt;
    }
  }
  return bound;
}
