//===- NncOps.cpp - operations of the nnc dialect -------------------------===//
#include "ir/NncOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace nnc;

func::FuncOp nnc::getGraphFunction(ModuleOp module, StringRef purpose) {
  auto model = module->getAttrOfType<StringAttr>(kModelAttr);
  func::FuncOp graph =
      model ? module.lookupSymbol<func::FuncOp>(model.getValue()) : nullptr;
  if (!graph)
    module.emitError("no graph function ")
        << purpose << ": the module needs an '" << kModelAttr
        << "' attribute naming a func.func";
  return graph;
}

//===----------------------------------------------------------------------===//
// Variables and constants
//===----------------------------------------------------------------------===//

LogicalResult VariableOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (!type.hasStaticShape())
    return emitOpError("variable must have a static shape, got ") << type;
  if (getScale().convertToDouble() < 0)
    return emitOpError("init scale must be non-negative");
  if (getFanIn() <= 0 || getFanOut() <= 0)
    return emitOpError("fans must be positive");
  return success();
}

LogicalResult LoadOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto var = symbolTable.lookupNearestSymbolFrom<VariableOp>(*this,
                                                            getVariableAttr());
  if (!var)
    return emitOpError("'") << getVariable() << "' is not an nnc.variable";
  if (var.getType() != getType())
    return emitOpError("type ")
           << getType() << " differs from the variable's " << var.getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Shape rules: the result type must be the one the operands imply
//===----------------------------------------------------------------------===//

static RankedTensorType tensorOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Checks `op`'s result against the type its shape rule infers (the rule
/// reports its own errors at the op's location).
static LogicalResult checkResult(Operation *op,
                                 FailureOr<RankedTensorType> inferred) {
  if (failed(inferred))
    return failure();
  Type actual = op->getResult(0).getType();
  if (actual != *inferred)
    return op->emitOpError("result type ")
           << actual << " should be " << *inferred;
  return success();
}

#define NNC_BINARY_VERIFY(OP)                                                  \
  LogicalResult OP::verify() {                                                 \
    return checkResult(*this, shapes::broadcast(getLoc(), tensorOf(getLhs()),  \
                                                tensorOf(getRhs())));          \
  }
NNC_BINARY_VERIFY(AddOp)
NNC_BINARY_VERIFY(SubOp)
NNC_BINARY_VERIFY(MulOp)
NNC_BINARY_VERIFY(DivOp)
#undef NNC_BINARY_VERIFY

LogicalResult MatmulOp::verify() {
  return checkResult(*this, shapes::matmul(getLoc(), tensorOf(getLhs()),
                                           tensorOf(getRhs())));
}

LogicalResult Conv2DOp::verify() {
  return checkResult(*this, shapes::conv2d(getLoc(), tensorOf(getInput()),
                                           tensorOf(getFilter()), getStrides(),
                                           getPadding()));
}

LogicalResult MaxPool2DOp::verify() {
  return checkResult(*this, shapes::pool2d(getLoc(), tensorOf(getInput()),
                                           getWindow(), getStrides(),
                                           getPadding()));
}

LogicalResult AvgPool2DOp::verify() {
  return checkResult(*this, shapes::pool2d(getLoc(), tensorOf(getInput()),
                                           getWindow(), getStrides(),
                                           getPadding()));
}

LogicalResult TransposeOp::verify() {
  return checkResult(*this,
                     shapes::transpose(getLoc(), tensorOf(getInput()),
                                       getPerm()));
}

LogicalResult ConcatOp::verify() {
  return checkResult(*this, shapes::concat(getLoc(), getInputs().getTypes(),
                                           getAxis()));
}

#define NNC_REDUCE_VERIFY(OP)                                                  \
  LogicalResult OP::verify() {                                                 \
    return checkResult(*this, shapes::reduce(getLoc(), tensorOf(getInput()),   \
                                             getAxes(), getKeepdims()));       \
  }
NNC_REDUCE_VERIFY(ReduceSumOp)
NNC_REDUCE_VERIFY(ReduceMeanOp)
NNC_REDUCE_VERIFY(ReduceMaxOp)
#undef NNC_REDUCE_VERIFY

LogicalResult EmbeddingOp::verify() {
  return checkResult(*this, shapes::embedding(getLoc(), tensorOf(getTable()),
                                              tensorOf(getIds())));
}

#define NNC_SCALAR_VERIFY(OP, NAME)                                            \
  LogicalResult OP::verify() {                                                 \
    return checkResult(*this, shapes::scalarLoss(getLoc(), NAME,               \
                                                 tensorOf(getLhs()),           \
                                                 tensorOf(getRhs())));         \
  }
NNC_SCALAR_VERIFY(CrossEntropyOp, "cross_entropy")
NNC_SCALAR_VERIFY(BinaryCrossEntropyOp, "binary_cross_entropy")
NNC_SCALAR_VERIFY(MseOp, "mse")
NNC_SCALAR_VERIFY(AccuracyOp, "accuracy")
#undef NNC_SCALAR_VERIFY

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

/// Elements per sample: all dims but a leading batch dim.
static std::optional<int64_t> perSampleElements(RankedTensorType t) {
  ArrayRef<int64_t> shape = t.getShape();
  if (!shape.empty() && ShapedType::isDynamic(shape[0]))
    shape = shape.drop_front();
  if (llvm::any_of(shape, ShapedType::isDynamic))
    return std::nullopt;
  return ShapedType::getNumElements(shape);
}

LogicalResult ReshapeOp::verify() {
  auto in = tensorOf(getInput()), out = tensorOf(getResult());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type must be kept");
  bool inBatch = in.getRank() > 0 && in.isDynamicDim(0);
  bool outBatch = out.getRank() > 0 && out.isDynamicDim(0);
  if (inBatch != outBatch)
    return emitOpError("the batch dim must stay first: ")
           << in << " -> " << out;
  auto a = perSampleElements(in), b = perSampleElements(out);
  if (!a || !b)
    return emitOpError("only the first dim may be dynamic");
  if (*a != *b)
    return emitOpError("element count changes: ") << in << " -> " << out;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto prev = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(prev.getInput());
    return getResult();
  }
  return {};
}

template <typename Op>
static LogicalResult verifyAxis(Op op) {
  int64_t rank = tensorOf(op.getInput()).getRank();
  auto axis = static_cast<int64_t>(op.getAxis());
  if (axis < 0 || axis >= rank)
    return op.emitOpError("axis ") << axis << " is out of range";
  return success();
}
LogicalResult SoftmaxOp::verify() { return verifyAxis(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifyAxis(*this); }

/// `params` must all be 1-D of the input's last dim, of its element type.
static LogicalResult verifyFeatureParams(Operation *op, Value input,
                                         ValueRange params) {
  auto in = tensorOf(input);
  if (in.getRank() < 1 || in.isDynamicDim(in.getRank() - 1))
    return op->emitOpError("needs a static last dim");
  auto expected =
      RankedTensorType::get({in.getShape().back()}, in.getElementType());
  for (Value p : params)
    if (p.getType() != expected)
      return op->emitOpError("parameters must be ") << expected;
  if (op->getResult(0).getType() != in)
    return op->emitOpError("result must have the input's type");
  return success();
}

LogicalResult BatchNormOp::verify() {
  if (getMomentum().convertToDouble() < 0 ||
      getMomentum().convertToDouble() > 1)
    return emitOpError("momentum must be in [0, 1]");
  return verifyFeatureParams(*this, getInput(),
                             {getGamma(), getBeta(), getMean(), getVar()});
}

LogicalResult LayerNormOp::verify() {
  return verifyFeatureParams(*this, getInput(), {getGamma(), getBeta()});
}

LogicalResult LayerNormGradOp::verify() {
  return verifyFeatureParams(*this, getInput(), {getGamma()});
}

LogicalResult NormalizeOp::verify() {
  auto in = tensorOf(getInput());
  ArrayRef<int64_t> sample = in.getShape();
  if (!sample.empty() && ShapedType::isDynamic(sample[0]))
    sample = sample.drop_front();
  auto expected = RankedTensorType::get(sample, in.getElementType());
  if (getMean().getType() != expected || getVar().getType() != expected)
    return emitOpError("statistics must be ") << expected;
  if (getResult().getType() != in)
    return emitOpError("result must have the input's type");
  return success();
}

LogicalResult DropoutOp::verify() {
  double rate = getRate().convertToDouble();
  if (rate < 0 || rate >= 1)
    return emitOpError("rate must be in [0, 1)");
  return success();
}

LogicalResult DropoutTrainOp::verify() {
  double rate = getRate().convertToDouble();
  if (rate < 0 || rate >= 1)
    return emitOpError("rate must be in [0, 1)");
  return success();
}

LogicalResult AdamUpdateOp::verify() {
  double b1 = getBeta1().convertToDouble(), b2 = getBeta2().convertToDouble();
  if (b1 < 0 || b1 >= 1 || b2 < 0 || b2 >= 1)
    return emitOpError("betas must be in [0, 1)");
  if (getEps().convertToDouble() <= 0)
    return emitOpError("eps must be positive");
  if (getWeightDecay().convertToDouble() < 0)
    return emitOpError("weight_decay must be non-negative");
  return success();
}

LogicalResult SliceOp::verify() {
  auto in = tensorOf(getInput()), out = tensorOf(getResult());
  int64_t axis = (int64_t)getAxis(), start = (int64_t)getStart(),
          size = (int64_t)getSize();
  if (axis < 0 || axis >= in.getRank() || in.isDynamicDim(axis))
    return emitOpError("axis must be a static dim of the input");
  if (start < 0 || size < 1 || start + size > in.getDimSize(axis))
    return emitOpError("slice [") << start << ", " << start + size
                                  << ") is out of the axis";
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] = size;
  if (out != RankedTensorType::get(shape, in.getElementType()))
    return emitOpError("result must be ")
           << RankedTensorType::get(shape, in.getElementType());
  return success();
}

LogicalResult ReduceGradOp::verify() {
  auto like = tensorOf(getLike()), grad = tensorOf(getGrad());
  auto reduced = shapes::reduce(getLoc(), like, getAxes(), /*keepdims=*/false);
  auto kept = shapes::reduce(std::nullopt, like, getAxes(), /*keepdims=*/true);
  if (failed(reduced))
    return failure();
  if (grad != *reduced && grad != *kept)
    return emitOpError("gradient ")
           << grad << " is not the reduction of " << like << " over "
           << "the axes";
  return success();
}

/// A gradient op's `grad` must have the type that the forward op's shape
/// rule gives (`inferred`, whose failure was reported).
static LogicalResult checkGrad(Operation *op, Value grad,
                               FailureOr<RankedTensorType> inferred) {
  if (failed(inferred))
    return failure();
  if (grad.getType() != *inferred)
    return op->emitOpError("gradient type ")
           << grad.getType() << " should be " << *inferred;
  return success();
}

LogicalResult Conv2DInputGradOp::verify() {
  return checkGrad(*this, getGrad(),
                   shapes::conv2d(getLoc(), getType(), tensorOf(getFilter()),
                                  getStrides(), getPadding()));
}

LogicalResult Conv2DFilterGradOp::verify() {
  return checkGrad(*this, getGrad(),
                   shapes::conv2d(getLoc(), tensorOf(getInput()), getType(),
                                  getStrides(), getPadding()));
}

LogicalResult MaxPool2DGradOp::verify() {
  return checkGrad(*this, getGrad(),
                   shapes::pool2d(getLoc(), tensorOf(getInput()), getWindow(),
                                  getStrides(), getPadding()));
}

LogicalResult AvgPool2DGradOp::verify() {
  return checkGrad(*this, getGrad(),
                   shapes::pool2d(getLoc(), getType(), getWindow(),
                                  getStrides(), getPadding()));
}

LogicalResult ReduceMaxGradOp::verify() {
  auto in = tensorOf(getInput());
  auto kept = shapes::reduce(std::nullopt, in, getAxes(), /*keepdims=*/true);
  auto reduced = shapes::reduce(getLoc(), in, getAxes(), /*keepdims=*/false);
  if (succeeded(kept) && getGrad().getType() == *kept)
    return success();
  return checkGrad(*this, getGrad(), reduced);
}

LogicalResult EmbeddingGradOp::verify() {
  return checkGrad(*this, getGrad(),
                   shapes::embedding(getLoc(), getType(), tensorOf(getIds())));
}

#define GET_OP_CLASSES
#include "ir/NncOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

/// The recurrent ops' attributes and the activations an rnn cell can
/// differentiate from its result alone.
static LogicalResult verifyRecurrentAttrs(Operation *op, StringRef cell,
                                          StringRef activation) {
  if (!shapes::recurrentGates(cell))
    return op->emitOpError("unknown cell '") << cell << "'";
  if (cell == "rnn"
          ? !llvm::is_contained({"tanh", "sigmoid", "relu", "none"},
                                activation)
          : activation != "tanh")
    return op->emitOpError("activation '")
           << activation << "' is not supported by a " << cell << " cell";
  return success();
}

/// The residuals of a training recurrent layer: [N, T, slots * H].
static RankedTensorType residualsType(StringRef cell, RankedTensorType input,
                                      int64_t units) {
  return RankedTensorType::get({input.getDimSize(0), input.getDimSize(1),
                                shapes::recurrentSlots(cell) * units},
                               input.getElementType());
}

#define NNC_RECURRENT_COMMON(OP)                                               \
  int64_t OP::getGates() { return shapes::recurrentGates(getCell()); }        \
  int64_t OP::getUnits() {                                                     \
    return tensorOf(getRecurrentKernel()).getDimSize(0);                       \
  }                                                                            \
  int64_t OP::getSlots() { return shapes::recurrentSlots(getCell()); }        \
  LogicalResult OP::verify() {                                                 \
    if (failed(verifyRecurrentAttrs(*this, getCell(), getActivation())) ||    \
        failed(checkResult(                                                    \
            *this, shapes::recurrent(                                          \
                       getLoc(), getCell(), tensorOf(getInput()),              \
                       tensorOf(getKernel()), tensorOf(getRecurrentKernel()),  \
                       tensorOf(getBias()), getReturnSequences()))))           \
      return failure();                                                        \
    Operation *op = getOperation();                                            \
    auto residuals =                                                           \
        residualsType(getCell(), tensorOf(getInput()), getUnits());           \
    if (op->getNumResults() == 2 && op->getResult(1).getType() != residuals)   \
      return emitOpError("residuals type should be ") << residuals;            \
    return success();                                                          \
  }
NNC_RECURRENT_COMMON(RecurrentOp)
NNC_RECURRENT_COMMON(RecurrentTrainOp)
#undef NNC_RECURRENT_COMMON

LogicalResult RecurrentGradOp::verify() {
  if (failed(verifyRecurrentAttrs(*this, getCell(), getActivation())))
    return failure();
  RankedTensorType input = tensorOf(getInput());
  auto result = shapes::recurrent(
      getLoc(), getCell(), input, tensorOf(getKernel()),
      tensorOf(getRecurrentKernel()), tensorOf(getBias()),
      getReturnSequences());
  if (failed(result))
    return failure();
  if (getGrad().getType() != *result)
    return emitOpError("grad type ")
           << getGrad().getType() << " should be " << *result;
  int64_t units = tensorOf(getRecurrentKernel()).getDimSize(0);
  if (getResiduals().getType() != residualsType(getCell(), input, units))
    return emitOpError("residuals type ")
           << getResiduals().getType() << " should be "
           << residualsType(getCell(), input, units);
  for (auto [grad, of] :
       llvm::zip(getResults(), ValueRange{getInput(), getKernel(),
                                          getRecurrentKernel(), getBias()}))
    if (grad.getType() != of.getType())
      return emitOpError("gradient type ")
             << grad.getType() << " should be " << of.getType();
  return success();
}
