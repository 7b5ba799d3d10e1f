//===- NncInterfaces.td - interfaces of the nnc dialect ----*- tablegen -*-===//
#ifndef NNC_INTERFACES_TD
#define NNC_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Nnc_DifferentiableOpInterface : OpInterface<"DifferentiableOp"> {
  let cppNamespace = "::nnc";
  let description = [{
    An op that builds its own vector-Jacobian product out of nnc ops:
    given the gradients of the loss with respect to its results, the
    gradients with respect to its operands. The autodiff pass
    (nnc-autodiff) walks the graph backwards calling this.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the gradient of each operand into `operandGrads` (one entry
        per operand; null where there is none, e.g. integer labels) from
        `resultGrads` (one per result, never null), with `b` positioned
        after the op. Returns failure with an error emitted on the op when
        it cannot differentiate this instance.
      }],
      "::mlir::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$b, "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

#endif // NNC_INTERFACES_TD
