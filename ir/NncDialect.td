//===- NncDialect.td - the nnc graph dialect ---------------*- tablegen -*-===//
//
// The nnc dialect holds a model as a graph of tensor operations: the forward
// computation of a `.nn` file after name resolution, block expansion and shape
// inference. Tensors are builtin ranked tensors of f32, f64 or i32; the batch
// dimension, when present, is the first and only dynamic dimension.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_TD
#define NNC_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"

def Nnc_Dialect : Dialect {
  let name = "nnc";
  let cppNamespace = "::nnc";
  let summary = "Graph IR of nnc models";
  let description = [{
    A model is a `builtin.module` whose attributes name the model
    (`nnc.model`) and carry its training settings (`nnc.train`), with one
    `nnc.variable` per parameter or state tensor and one `func.func` named
    after the model. The function's arguments are the model's inputs and
    targets (argument attributes `nnc.input` / `nnc.target` give their names);
    its body computes the graph and marks its outputs, loss and metrics with
    `nnc.output`, `nnc.loss` and `nnc.metric`.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let hasConstantMaterializer = 1;
}

class Nnc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Nnc_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Nnc_InitKind : I32EnumAttr<"InitKind", "parameter initializer", [
    I32EnumAttrCase<"glorot_uniform", 0>,
    I32EnumAttrCase<"glorot_normal", 1>,
    I32EnumAttrCase<"he_uniform", 2>,
    I32EnumAttrCase<"he_normal", 3>,
    I32EnumAttrCase<"zeros", 4>,
    I32EnumAttrCase<"ones", 5>,
    I32EnumAttrCase<"normal", 6>,
    I32EnumAttrCase<"uniform", 7>,
    // Not spelled in the language: recurrent kernels (Keras's orthogonal)
    // and an LSTM's bias (zeros, the forget gate's quarter ones).
    I32EnumAttrCase<"orthogonal", 8>,
    I32EnumAttrCase<"unit_forget_bias", 9>]> {
  let cppNamespace = "::nnc";
}

def Nnc_VariableKind : I32EnumAttr<"VariableKind", "role of a variable", [
    I32EnumAttrCase<"param", 0>,
    I32EnumAttrCase<"state", 1>,
    I32EnumAttrCase<"optimizer", 2>]> {
  let cppNamespace = "::nnc";
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Nnc_FloatTensor : RankedTensorOf<[F32, F64]>;
def Nnc_IntTensor : RankedTensorOf<[I32]>;
def Nnc_Tensor : RankedTensorOf<[F32, F64, I32]>;
def Nnc_FloatScalar : 0DTensorOf<[F32, F64]>;

#endif // NNC_DIALECT_TD
