//===- NncOps.h - operations of the nnc dialect -----------------*- C++ -*-===//
#ifndef NNC_IR_NNCOPS_H
#define NNC_IR_NNCOPS_H

#include "ir/NncDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ir/NncInterfaces.h.inc"

#define GET_OP_CLASSES
#include "ir/NncOps.h.inc"

namespace nnc {

/// Attribute names of the model-level information on the module and on the
/// graph function's arguments.
constexpr llvm::StringLiteral kModelAttr = "nnc.model";
constexpr llvm::StringLiteral kTrainAttr = "nnc.train";
constexpr llvm::StringLiteral kInputAttr = "nnc.input";
constexpr llvm::StringLiteral kTargetAttr = "nnc.target";
constexpr llvm::StringLiteral kOutputAttr = "nnc.output";
/// Tags of entry points, their arguments and results (docs/abi.md).
constexpr llvm::StringLiteral kEntryAttr = "nnc.entry";
constexpr llvm::StringLiteral kVariableAttr = "nnc.variable";
constexpr llvm::StringLiteral kKeyAttr = "nnc.key";
constexpr llvm::StringLiteral kLearningRateAttr = "nnc.lr";
constexpr llvm::StringLiteral kStepAttr = "nnc.step";
constexpr llvm::StringLiteral kLossAttr = "nnc.loss";
constexpr llvm::StringLiteral kMetricAttr = "nnc.metric";
constexpr llvm::StringLiteral kGradientAttr = "nnc.gradient";
constexpr llvm::StringLiteral kUpdateAttr = "nnc.update";
/// The runtime function that a data-parallel training step
/// (nnc-optimizer{distributed=1}) calls for the position of this process's
/// first sample in the global batch: () -> i64 (runtime/mpi/Mpi.cpp).
constexpr llvm::StringLiteral kSampleOffsetFunction = "nnc_rt_sample_offset";
/// Version of the description's layout and the entry points' calling
/// convention (runtime/nnc_runtime.h's NNC_ABI_VERSION).
constexpr int64_t kAbiVersion = 3;

/// The model's graph function (the func.func named by the module's
/// `nnc.model`), or null after an error naming `purpose` on the module.
mlir::func::FuncOp getGraphFunction(mlir::ModuleOp module,
                                    llvm::StringRef purpose);

/// Prints a tensor type the way the language spells it: `f32[batch, 28, 28]`
/// (a dynamic dim is the batch dim), `f32[]` for a scalar.
std::string formatType(mlir::Type type);

/// Shape rules shared by the ops' verifiers and the frontend. Each
/// returns the result type, or emits an error at `loc` (when given) and
/// returns failure.
namespace shapes {
using mlir::FailureOr;
using mlir::Location;
using mlir::RankedTensorType;
FailureOr<RankedTensorType> broadcast(std::optional<Location> loc,
                                      RankedTensorType lhs,
                                      RankedTensorType rhs);
FailureOr<RankedTensorType> matmul(std::optional<Location> loc,
                                   RankedTensorType lhs, RankedTensorType rhs);
FailureOr<RankedTensorType> conv2d(std::optional<Location> loc,
                                   RankedTensorType input,
                                   RankedTensorType filter,
                                   llvm::ArrayRef<int64_t> strides,
                                   llvm::ArrayRef<int64_t> padding);
FailureOr<RankedTensorType> pool2d(std::optional<Location> loc,
                                   RankedTensorType input,
                                   llvm::ArrayRef<int64_t> window,
                                   llvm::ArrayRef<int64_t> strides,
                                   llvm::ArrayRef<int64_t> padding);
FailureOr<RankedTensorType> transpose(std::optional<Location> loc,
                                      RankedTensorType input,
                                      llvm::ArrayRef<int64_t> perm);
FailureOr<RankedTensorType> concat(std::optional<Location> loc,
                                   mlir::TypeRange inputs, int64_t axis);
FailureOr<RankedTensorType> reduce(std::optional<Location> loc,
                                   RankedTensorType input,
                                   llvm::ArrayRef<int64_t> axes, bool keepdims);
FailureOr<RankedTensorType> embedding(std::optional<Location> loc,
                                      RankedTensorType table,
                                      RankedTensorType ids);
/// Losses and metrics: `kind` is the op's mnemonic.
FailureOr<RankedTensorType> scalarLoss(std::optional<Location> loc,
                                       llvm::StringRef kind,
                                       RankedTensorType lhs,
                                       RankedTensorType rhs);
/// Gates per unit of a recurrent `cell` (rnn 1, lstm 4, gru 3); 0 for an
/// unknown cell.
int64_t recurrentGates(llvm::StringRef cell);
/// [H]-wide residual slots per step of a training recurrent `cell`.
int64_t recurrentSlots(llvm::StringRef cell);
/// A recurrent layer's result: [N, H], or [N, T, H] with `sequences`; checks
/// the parameters' shapes (kernel [F, G*H], recurrent kernel [H, G*H], bias
/// [G*H], a gru's [2, 3*H]).
FailureOr<RankedTensorType> recurrent(std::optional<Location> loc,
                                      llvm::StringRef cell,
                                      RankedTensorType input,
                                      RankedTensorType kernel,
                                      RankedTensorType recurrentKernel,
                                      RankedTensorType bias, bool sequences);
/// Output size of a window of `size` moved by `stride` over `in` elements
/// with `padBefore + padAfter` zeros; <= 0 when the window does not fit.
int64_t windowOutputSize(int64_t in, int64_t size, int64_t stride,
                         int64_t padBefore, int64_t padAfter);
} // namespace shapes
} // namespace nnc

#endif // NNC_IR_NNCOPS_H
