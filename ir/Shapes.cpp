//===- Shapes.cpp - shape rules of nnc ops ---------------------------------===//
//
// One implementation of each shape rule, used by the ops' type inference (and
// so their verifiers) and by the frontend, which reports failures at the
// user's source line.
//
//===----------------------------------------------------------------------===//

#include "ir/NncOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;

namespace nnc {

std::string formatType(Type type) {
  std::string out;
  llvm::raw_string_ostream os(out);
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor) {
    os << type;
    return out;
  }
  os << tensor.getElementType() << "[";
  llvm::interleaveComma(tensor.getShape(), os, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      os << "batch";
    else
      os << d;
  });
  os << "]";
  return out;
}

namespace shapes {

static LogicalResult fail(std::optional<Location> loc, const Twine &msg) {
  return emitOptionalError(loc, msg);
}

/// Two dims are equal when both are the same static size or both the batch.
static bool sameDim(int64_t a, int64_t b) { return a == b; }

FailureOr<RankedTensorType> broadcast(std::optional<Location> loc,
                                      RankedTensorType lhs,
                                      RankedTensorType rhs) {
  if (lhs.getElementType() != rhs.getElementType()) {
    (void)fail(loc, "operands have different element types: " +
                        formatType(lhs) + " and " + formatType(rhs));
    return failure();
  }
  int64_t rank = std::max(lhs.getRank(), rhs.getRank());
  SmallVector<int64_t> shape(rank);
  for (int64_t i = 0; i < rank; ++i) {
    int64_t li = i - (rank - lhs.getRank()), ri = i - (rank - rhs.getRank());
    int64_t l = li >= 0 ? lhs.getDimSize(li) : 1;
    int64_t r = ri >= 0 ? rhs.getDimSize(ri) : 1;
    if (sameDim(l, r) || r == 1)
      shape[i] = l;
    else if (l == 1)
      shape[i] = r;
    else {
      (void)fail(loc, "cannot broadcast " + formatType(lhs) + " and " +
                          formatType(rhs) + ": dimension " + Twine(i) +
                          " differs");
      return failure();
    }
  }
  return RankedTensorType::get(shape, lhs.getElementType());
}

FailureOr<RankedTensorType> matmul(std::optional<Location> loc,
                                   RankedTensorType lhs,
                                   RankedTensorType rhs) {
  if (lhs.getElementType() != rhs.getElementType()) {
    (void)fail(loc, "operands have different element types: " +
                        formatType(lhs) + " and " + formatType(rhs));
    return failure();
  }
  if (lhs.getRank() < 2 || rhs.getRank() < 2) {
    (void)fail(loc, "@ needs operands of rank 2 or more, got " +
                        formatType(lhs) + " @ " + formatType(rhs));
    return failure();
  }
  if (rhs.getRank() != 2 && rhs.getRank() != lhs.getRank()) {
    (void)fail(loc, "@ needs the right operand 2-D or of the left's rank, got " +
                        formatType(lhs) + " @ " + formatType(rhs));
    return failure();
  }
  int64_t rank = lhs.getRank();
  if (rhs.getRank() == rank &&
      !llvm::equal(lhs.getShape().drop_back(2), rhs.getShape().drop_back(2))) {
    (void)fail(loc, "@ needs equal leading dims, got " + formatType(lhs) +
                        " @ " + formatType(rhs));
    return failure();
  }
  int64_t k = lhs.getDimSize(rank - 1);
  int64_t rk = rhs.getDimSize(rhs.getRank() - 2);
  if (!sameDim(k, rk)) {
    (void)fail(loc, "@ inner dimensions differ: " + formatType(lhs) + " @ " +
                        formatType(rhs));
    return failure();
  }
  SmallVector<int64_t> shape(lhs.getShape());
  shape.back() = rhs.getShape().back();
  return RankedTensorType::get(shape, lhs.getElementType());
}

/// Per cell: gates per unit and residual slots per step.
static std::pair<int64_t, int64_t> recurrentCell(llvm::StringRef cell) {
  if (cell == "rnn")
    return {1, 1};
  if (cell == "lstm")
    return {4, 6};
  if (cell == "gru")
    return {3, 5};
  return {0, 0};
}

int64_t recurrentGates(llvm::StringRef cell) {
  return recurrentCell(cell).first;
}

int64_t recurrentSlots(llvm::StringRef cell) {
  return recurrentCell(cell).second;
}

FailureOr<RankedTensorType> recurrent(std::optional<Location> loc,
                                      llvm::StringRef cell,
                                      RankedTensorType input,
                                      RankedTensorType kernel,
                                      RankedTensorType recurrentKernel,
                                      RankedTensorType bias, bool sequences) {
  int64_t gates = recurrentGates(cell);
  if (!gates)
    return fail(loc, "unknown recurrent cell '" + cell +
                         "' (rnn, lstm or gru)");
  if (input.getRank() != 3 || input.isDynamicDim(1) || input.isDynamicDim(2))
    return fail(loc, cell + " expects a 3-D input [batch, steps, features], "
                            "got " + formatType(input));
  Type el = input.getElementType();
  if (kernel.getElementType() != el ||
      recurrentKernel.getElementType() != el || bias.getElementType() != el)
    return fail(loc, cell + ": the input and parameters have different "
                            "element types");
  int64_t units = recurrentKernel.getRank() == 2
                      ? recurrentKernel.getDimSize(0)
                      : ShapedType::kDynamic;
  if (ShapedType::isDynamic(units) ||
      recurrentKernel.getDimSize(1) != gates * units)
    return fail(loc, cell + ": the recurrent kernel should be [units, " +
                         Twine(gates) + " * units], got " +
                         formatType(recurrentKernel));
  int64_t features = input.getDimSize(2);
  if (kernel.getRank() != 2 || kernel.getDimSize(0) != features ||
      kernel.getDimSize(1) != gates * units)
    return fail(loc, cell + ": the kernel should be [" + Twine(features) +
                         ", " + Twine(gates * units) + "], got " +
                         formatType(kernel));
  bool gru = cell == "gru";
  if (gru ? (bias.getRank() != 2 || bias.getDimSize(0) != 2 ||
             bias.getDimSize(1) != gates * units)
          : (bias.getRank() != 1 || bias.getDimSize(0) != gates * units))
    return fail(loc, cell + ": the bias should be " +
                         (gru ? "[2, " : "[") + Twine(gates * units) +
                         "], got " + formatType(bias));
  if (sequences)
    return RankedTensorType::get(
        {input.getDimSize(0), input.getDimSize(1), units}, el);
  return RankedTensorType::get({input.getDimSize(0), units}, el);
}

int64_t windowOutputSize(int64_t in, int64_t size, int64_t stride,
                         int64_t padBefore, int64_t padAfter) {
  int64_t span = in + padBefore + padAfter - size;
  if (span < 0 || stride <= 0)
    return 0;
  return span / stride + 1;
}

static LogicalResult checkWindowAttrs(std::optional<Location> loc,
                                      ArrayRef<int64_t> strides,
                                      ArrayRef<int64_t> padding) {
  if (strides.size() != 2 || llvm::any_of(strides, [](int64_t s) {
        return s <= 0;
      }))
    return fail(loc, "strides must be two positive integers");
  if (padding.size() != 4 || llvm::any_of(padding, [](int64_t p) {
        return p < 0;
      }))
    return fail(loc, "padding must be four non-negative integers "
                     "[top, bottom, left, right]");
  return success();
}

/// The NHWC output of sliding a `kh x kw` window over `input`.
static FailureOr<RankedTensorType>
windowed(std::optional<Location> loc, StringRef what, RankedTensorType input,
         int64_t kh, int64_t kw, ArrayRef<int64_t> strides,
         ArrayRef<int64_t> padding, int64_t channels) {
  int64_t h = windowOutputSize(input.getDimSize(1), kh, strides[0],
                               padding[0], padding[1]);
  int64_t w = windowOutputSize(input.getDimSize(2), kw, strides[1],
                               padding[2], padding[3]);
  if (h <= 0 || w <= 0) {
    (void)fail(loc, what + " window " + Twine(kh) + "x" + Twine(kw) +
                        " does not fit the input " + formatType(input));
    return failure();
  }
  return RankedTensorType::get({input.getDimSize(0), h, w, channels},
                               input.getElementType());
}

FailureOr<RankedTensorType> conv2d(std::optional<Location> loc,
                                   RankedTensorType input,
                                   RankedTensorType filter,
                                   ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> padding) {
  if (failed(checkWindowAttrs(loc, strides, padding)))
    return failure();
  if (input.getRank() != 4 || filter.getRank() != 4 ||
      filter.getNumDynamicDims() != 0) {
    (void)fail(loc, "conv2d needs an NHWC input and an HWCF filter, got " +
                        formatType(input) + " and " + formatType(filter));
    return failure();
  }
  if (input.getElementType() != filter.getElementType()) {
    (void)fail(loc, "conv2d operands have different element types");
    return failure();
  }
  if (!sameDim(input.getDimSize(3), filter.getDimSize(2))) {
    (void)fail(loc, "conv2d filter " + formatType(filter) + " expects " +
                        Twine(filter.getDimSize(2)) +
                        " input channels, got " + formatType(input));
    return failure();
  }
  return windowed(loc, "conv2d", input, filter.getDimSize(0),
                  filter.getDimSize(1), strides, padding,
                  filter.getDimSize(3));
}

FailureOr<RankedTensorType> pool2d(std::optional<Location> loc,
                                   RankedTensorType input,
                                   ArrayRef<int64_t> window,
                                   ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> padding) {
  if (failed(checkWindowAttrs(loc, strides, padding)))
    return failure();
  if (window.size() != 2 || window[0] <= 0 || window[1] <= 0) {
    (void)fail(loc, "pooling window must be two positive integers");
    return failure();
  }
  if (input.getRank() != 4) {
    (void)fail(loc, "pooling needs an NHWC input, got " + formatType(input));
    return failure();
  }
  return windowed(loc, "pooling", input, window[0], window[1], strides,
                  padding, input.getDimSize(3));
}

FailureOr<RankedTensorType> transpose(std::optional<Location> loc,
                                      RankedTensorType input,
                                      ArrayRef<int64_t> perm) {
  int64_t rank = input.getRank();
  llvm::SmallBitVector seen(rank);
  if ((int64_t)perm.size() != rank) {
    (void)fail(loc, "perm has " + Twine(perm.size()) +
                        " entries for a tensor of rank " + Twine(rank));
    return failure();
  }
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen.test(p)) {
      (void)fail(loc, "perm must be a permutation of 0.." + Twine(rank - 1));
      return failure();
    }
    seen.set(p);
    shape.push_back(input.getDimSize(p));
  }
  return RankedTensorType::get(shape, input.getElementType());
}

FailureOr<RankedTensorType> concat(std::optional<Location> loc,
                                   TypeRange inputs, int64_t axis) {
  if (inputs.empty()) {
    (void)fail(loc, "concat needs at least one input");
    return failure();
  }
  auto first = cast<RankedTensorType>(inputs.front());
  if (axis < 0 || axis >= first.getRank()) {
    (void)fail(loc, "concat axis " + Twine(axis) + " is out of range for " +
                        formatType(first));
    return failure();
  }
  SmallVector<int64_t> shape(first.getShape());
  for (Type t : inputs.drop_front()) {
    auto other = cast<RankedTensorType>(t);
    if (other.getRank() != first.getRank()) {
      (void)fail(loc, "concat needs tensors of one rank, got " +
                          formatType(first) + " and " + formatType(other));
      return failure();
    }
    bool ok = other.getRank() == first.getRank() &&
              other.getElementType() == first.getElementType();
    for (int64_t i = 0; ok && i < first.getRank(); ++i)
      ok = i == axis || sameDim(other.getDimSize(i), first.getDimSize(i));
    if (!ok) {
      (void)fail(loc, "concat along axis " + Twine(axis) +
                          " needs the other dims equal, got " +
                          formatType(first) + " and " + formatType(other));
      return failure();
    }
    if (ShapedType::isDynamic(shape[axis]) || other.isDynamicDim(axis))
      shape[axis] = ShapedType::kDynamic;
    else
      shape[axis] += other.getDimSize(axis);
  }
  return RankedTensorType::get(shape, first.getElementType());
}

FailureOr<RankedTensorType> reduce(std::optional<Location> loc,
                                   RankedTensorType input,
                                   ArrayRef<int64_t> axes, bool keepdims) {
  llvm::SmallBitVector reduced(input.getRank());
  for (int64_t a : axes) {
    if (a < 0 || a >= input.getRank() || reduced.test(a)) {
      (void)fail(loc, "reduction axes must be distinct dims of " +
                          formatType(input));
      return failure();
    }
    reduced.set(a);
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < input.getRank(); ++i) {
    if (!reduced.test(i))
      shape.push_back(input.getDimSize(i));
    else if (keepdims)
      shape.push_back(1);
  }
  return RankedTensorType::get(shape, input.getElementType());
}

FailureOr<RankedTensorType> embedding(std::optional<Location> loc,
                                      RankedTensorType table,
                                      RankedTensorType ids) {
  if (table.getRank() != 2 || table.getNumDynamicDims() != 0) {
    (void)fail(loc, "embedding table must be [vocab, dim], got " +
                        formatType(table));
    return failure();
  }
  SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(table.getDimSize(1));
  return RankedTensorType::get(shape, table.getElementType());
}

FailureOr<RankedTensorType> scalarLoss(std::optional<Location> loc,
                                       StringRef kind, RankedTensorType lhs,
                                       RankedTensorType rhs) {
  auto scalar = RankedTensorType::get({}, lhs.getElementType());
  auto shapes = [&] { return formatType(lhs) + " and " + formatType(rhs); };
  bool intLabels = rhs.getElementType().isInteger(32);
  if (kind == "cross_entropy" ||
      (kind == "accuracy" && (intLabels || lhs.getRank() != 2 ||
                              lhs.getDimSize(1) != 1))) {
    if (lhs.getRank() != 2) {
      (void)fail(loc, kind + " expects logits [batch, classes], got " +
                          formatType(lhs));
      return failure();
    }
    if (!intLabels) {
      (void)fail(loc, kind + " expects integer class labels i32[batch], got " +
                          formatType(rhs));
      return failure();
    }
    if (rhs.getRank() != 1 || !sameDim(rhs.getDimSize(0), lhs.getDimSize(0))) {
      (void)fail(loc, kind + " expects labels with one class id per row of " +
                          "the logits, got " + shapes());
      return failure();
    }
    return scalar;
  }
  if (lhs != rhs) {
    (void)fail(loc, kind + " expects two tensors of the same shape and " +
                        "type, got " + shapes());
    return failure();
  }
  return scalar;
}

} // namespace shapes
} // namespace nnc
