//===- ImportArgs.h - argument access for op builders -----------*- C++ -*-===//
//
// Frontend-internal: typed access to a call's arguments and the small
// context the op builders of ImportOps.cpp and ImportLayers.cpp share.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_FRONTEND_IMPORTARGS_H
#define NNC_FRONTEND_IMPORTARGS_H

#include "frontend/Importer.h"

#include "llvm/ADT/StringSwitch.h"
#include <array>
#include <functional>

namespace nnc {

using mlir::SmallVector;
using mlir::Value;
using llvm::SMLoc;
using llvm::StringRef;
using mlir::ArrayRef;

/// Typed access to the arguments of one call. A failed read reports the
/// error and sets `failed`; the builder checks it before building.
class Args {
public:
  Args(Importer &imp, const ast::CallExpr *call, const OpSpec &spec,
       BoundArgs bound, SValue *piped)
      : call(call), imp(imp), spec(spec), bound(std::move(bound)),
        piped(piped) {}

  bool failed = false;
  const ast::CallExpr *call;

  bool given(size_t i) const { return bound.args[i] != nullptr; }
  const ast::Expr *boundExpr(size_t i) const { return bound.args[i]; }
  SMLoc locOf(size_t i) const {
    return given(i) ? bound.args[i]->loc : call->loc;
  }
  StringRef nameOf(size_t i) const { return spec.args[i].name; }

  SValue value(size_t i) {
    if (i == 0 && piped)
      return *piped;
    return imp.evaluate(bound.args[i]);
  }

  /// A tensor argument, optionally required to be float.
  SValue tensor(size_t i, bool needFloat = true) {
    SValue v = value(i);
    return checkTensor(v, locOf(i), nameOf(i), needFloat);
  }

  std::vector<SValue> variadicTensors() {
    std::vector<SValue> out;
    for (size_t i = 0; i < bound.variadic.size(); ++i) {
      SValue v = (i == 0 && piped) ? *piped : imp.evaluate(bound.variadic[i]);
      out.push_back(
          checkTensor(v, bound.variadic[i]->loc, "input", /*float=*/false));
    }
    return out;
  }

  int64_t integer(size_t i, int64_t dflt, int64_t min) {
    if (!given(i))
      return dflt;
    SValue v = value(i);
    if (!v.ok())
      return fail(), dflt;
    if (v.kind != SValue::Number || !v.isInteger || v.number < min ||
        v.number > 2147483647.0) {
      error(locOf(i), nameOf(i) + " must be " +
                          (min > 0    ? "a positive integer"
                           : min == 0 ? "a non-negative integer"
                                      : "an integer") +
                          (v.kind == SValue::Number && v.isInteger &&
                                   v.number > 2147483647.0
                               ? " no larger than 2147483647"
                               : "") +
                          ", got " + describe(v));
      return dflt;
    }
    return (int64_t)v.number;
  }

  double real(size_t i, double dflt) {
    if (!given(i))
      return dflt;
    SValue v = value(i);
    if (!v.ok())
      return fail(), dflt;
    if (v.kind != SValue::Number) {
      error(locOf(i), nameOf(i) + " must be a number, got " + describe(v));
      return dflt;
    }
    return v.number;
  }

  /// A word among `choices` (Choice, Bool and Activation arguments).
  StringRef word(size_t i, StringRef dflt, ArrayRef<StringRef> choices) {
    if (!given(i))
      return dflt;
    SValue v = (i == 0 && piped) ? *piped : imp.evaluateWord(bound.args[i]);
    if (!v.ok())
      return fail(), dflt;
    std::string list;
    for (StringRef c : choices)
      list += (list.empty() ? "" : ", ") + c.str();
    if (v.kind != SValue::Word || !llvm::is_contained(choices, v.text)) {
      error(locOf(i), nameOf(i) + " must be one of " + list + "; got " +
                          describe(v) +
                          (v.kind == SValue::Word ? didYouMean(v.text, choices)
                                                  : ""));
      return dflt;
    }
    return v.text;
  }

  bool boolean(size_t i, bool dflt) {
    return word(i, dflt ? "true" : "false", {"true", "false"}) == "true";
  }

  StringRef choice(size_t i, StringRef dflt) {
    return word(i, dflt, splitChoices(spec.args[i].choices));
  }

  StringRef activation(size_t i) {
    return word(i, "none",
                {"none", "relu", "sigmoid", "tanh", "gelu", "exp", "log",
                 "sqrt", "abs", "leaky_relu", "softmax"});
  }

  /// An int or a list of two ints, each at least `min`.
  std::array<int64_t, 2> pair(size_t i, int64_t dflt, int64_t min) {
    if (!given(i))
      return {dflt, dflt};
    SValue v = value(i);
    if (!v.ok())
      return fail(), std::array<int64_t, 2>{dflt, dflt};
    if (v.kind == SValue::Number && v.isInteger && v.number >= min &&
        v.number < 65536)
      return {(int64_t)v.number, (int64_t)v.number};
    if (v.kind == SValue::List && v.list.size() == 2 &&
        llvm::all_of(v.list, [&](const SValue &x) {
          return x.kind == SValue::Number && x.isInteger && x.number >= min &&
                 x.number < 65536;
        }))
      return {(int64_t)v.list[0].number, (int64_t)v.list[1].number};
    error(locOf(i), nameOf(i) + " must be an integer >= " + llvm::Twine(min) +
                        " or a list of two, got " + describe(v));
    return {dflt, dflt};
  }

  /// A list of integers.
  std::optional<SmallVector<int64_t>> intList(size_t i) {
    SValue v = value(i);
    if (!v.ok())
      return fail(), std::nullopt;
    SmallVector<int64_t> out;
    if (v.kind == SValue::Number && v.isInteger) {
      out.push_back((int64_t)v.number);
      return out;
    }
    if (v.kind == SValue::List &&
        llvm::all_of(v.list, [](const SValue &x) {
          return x.kind == SValue::Number && x.isInteger &&
                 std::abs(x.number) <= 2147483647.0;
        })) {
      for (const SValue &x : v.list)
        out.push_back((int64_t)x.number);
      return out;
    }
    error(locOf(i), nameOf(i) + " must be a list of integers, got " +
                        describe(v));
    return std::nullopt;
  }

  StringRef string(size_t i) {
    if (!given(i))
      return "";
    SValue v = value(i);
    if (!v.ok())
      return fail(), "";
    if (v.kind != SValue::String || v.text.empty()) {
      error(locOf(i), nameOf(i) + (v.kind == SValue::String
                                       ? " must not be empty"
                                       : " must be a string, got " +
                                             describe(v)));
      return "";
    }
    return v.text;
  }

  void init(size_t i, InitKind &kind, double &scale) {
    if (given(i) && !imp.parseInit(bound.args[i], kind, scale))
      fail();
  }

  /// Normalizes a possibly negative axis of a rank-`rank` tensor.
  int64_t axis(size_t i, int64_t dflt, int64_t rank) {
    int64_t a = integer(i, dflt, INT32_MIN);
    if (failed)
      return 0;
    if (a < -rank || a >= rank) {
      error(locOf(i), "axis " + llvm::Twine(a) + " is out of range for a " +
                          "tensor of rank " + llvm::Twine(rank));
      return 0;
    }
    return a < 0 ? a + rank : a;
  }

  mlir::InFlightDiagnostic error(SMLoc at, const llvm::Twine &msg) {
    failed = true;
    return imp.diag.error(at, msg);
  }
  void fail() { failed = true; }

private:
  SValue checkTensor(SValue v, SMLoc at, StringRef name, bool needFloat) {
    if (!v.ok()) {
      failed = true;
      return v;
    }
    if (v.kind != SValue::Tensor) {
      error(at, spec.name + " expects a tensor for '" + name + "', got " +
                    describe(v));
      return SValue::error();
    }
    if (needFloat && !mlir::isa<mlir::FloatType>(v.type().getElementType())) {
      error(at, spec.name + " expects a float tensor for '" + name +
                    "', got " + formatType(v.type()));
      return SValue::error();
    }
    return v;
  }

  Importer &imp;
  const OpSpec &spec;
  BoundArgs bound;
  SValue *piped;
};

/// Builds one call: a thin context over the importer's builder.
class OpBuilderCtx {
public:
  OpBuilderCtx(Importer &imp, Args &args)
      : imp(imp), b(imp.builder), args(args),
        at(imp.loc(args.call->loc)) {}

  SValue result(Value v) { return SValue::of(v, args.call); }

  Value activation(StringRef name, Value x) {
    return llvm::StringSwitch<std::function<Value()>>(name)
        .Case("relu", [&] { return b.create<ReluOp>(at, x).getResult(); })
        .Case("sigmoid", [&] { return b.create<SigmoidOp>(at, x).getResult(); })
        .Case("tanh", [&] { return b.create<TanhOp>(at, x).getResult(); })
        .Case("gelu", [&] { return b.create<GeluOp>(at, x).getResult(); })
        .Case("exp", [&] { return b.create<ExpOp>(at, x).getResult(); })
        .Case("log", [&] { return b.create<LogOp>(at, x).getResult(); })
        .Case("sqrt", [&] { return b.create<SqrtOp>(at, x).getResult(); })
        .Case("abs", [&] { return b.create<AbsOp>(at, x).getResult(); })
        .Case("leaky_relu",
              [&] {
                return b
                    .create<LeakyReluOp>(at, x, b.getF64FloatAttr(0.01))
                    .getResult();
              })
        .Case("softmax",
              [&] {
                int64_t last = mlir::cast<mlir::RankedTensorType>(x.getType()).getRank() - 1;
                return b.create<SoftmaxOp>(at, x, last).getResult();
              })
        .Default([&] { return x; })();
  }

  Value addBias(Value y, Value bias) {
    auto type = mlir::cast<mlir::RankedTensorType>(y.getType());
    return b.create<AddOp>(at, type, y, bias);
  }

  mlir::RankedTensorType tensorType(ArrayRef<int64_t> shape, mlir::Type element) {
    return mlir::RankedTensorType::get(shape, element);
  }

  Importer &imp;
  mlir::OpBuilder &b;
  Args &args;
  mlir::Location at;
};

inline bool hasBatch(mlir::RankedTensorType t) {
  return t.getRank() > 0 && t.isDynamicDim(0);
}


/// Padding [top, bottom, left, right] of `same` (TensorFlow's rule: the
/// output is ceil(in / stride), extra padding after) or `valid` (none).
mlir::SmallVector<int64_t> windowPadding(llvm::StringRef mode,
                                         mlir::RankedTensorType x,
                                         std::array<int64_t, 2> window,
                                         std::array<int64_t, 2> stride);
/// Checks an NHWC input of a windowed op; reports in the op's terms.
bool checkNHWC(OpBuilderCtx &c, llvm::StringRef op, mlir::RankedTensorType xt);
/// Checks that the window fits the (padded) input.
bool checkWindowFits(OpBuilderCtx &c, llvm::StringRef op,
                     mlir::RankedTensorType xt, std::array<int64_t, 2> window,
                     std::array<int64_t, 2> stride,
                     llvm::ArrayRef<int64_t> pad);

SValue importDense(OpBuilderCtx &c);
SValue importConv2D(OpBuilderCtx &c);
SValue importNormalization(OpBuilderCtx &c, llvm::StringRef op);
SValue importNormalize(OpBuilderCtx &c);
SValue importEmbedding(OpBuilderCtx &c);
SValue importRecurrent(OpBuilderCtx &c, llvm::StringRef op);
SValue importAttention(OpBuilderCtx &c);

} // namespace nnc

#endif // NNC_FRONTEND_IMPORTARGS_H
