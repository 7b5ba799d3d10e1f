//===- NncOps.td - operations of the nnc dialect -----------*- tablegen -*-===//
//
// Layers of the language are decomposed into these primitive tensor ops
// (dense = matmul + add + activation) so that fusion and code generation see
// the matmul/convolution and its epilogue as separate, fusable ops. Every op
// verifies its shape rule (ir/Shapes.cpp, shared with the frontend): the
// result type it carries must be the one its operands imply.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_OPS_TD
#define NNC_OPS_TD

include "ir/NncDialect.td"
include "ir/NncInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Variables, constants and the model's interface
//===----------------------------------------------------------------------===//

def Nnc_VariableOp : Nnc_Op<"variable", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "a parameter or state tensor of the model";
  let description = [{
    Declares a tensor that lives across steps: a trainable parameter
    (`param`) or running state such as batchnorm statistics (`state`).
    `init` with `scale` (the std of `normal`, the limit of `uniform`) and the
    fans (for the Glorot and He rules) say how the runtime initializes it.

    ```mlir
    nnc.variable @h1.weight param : tensor<784x128xf32>
        init glorot_uniform {fan_in = 784, fan_out = 128}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       Nnc_VariableKind:$kind,
                       TypeAttrOf<Nnc_FloatTensor>:$type,
                       Nnc_InitKind:$init,
                       DefaultValuedAttr<F64Attr, "0.0">:$scale,
                       DefaultValuedAttr<I64Attr, "1">:$fan_in,
                       DefaultValuedAttr<I64Attr, "1">:$fan_out);
  let assemblyFormat = [{
    $sym_name $kind `:` $type `init` $init attr-dict
  }];
  let hasVerifier = 1;
}

def Nnc_LoadOp : Nnc_Op<"load", [Pure,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads the current value of a variable";
  let arguments = (ins FlatSymbolRefAttr:$variable);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$variable attr-dict `:` type($result)";
}

def Nnc_ConstantOp : Nnc_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a constant tensor";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Nnc_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Nnc_OutputOp : Nnc_Op<"output"> {
  let summary = "marks a value returned by inference (predict)";
  let arguments = (ins StrAttr:$name, Nnc_Tensor:$value);
  let assemblyFormat = "$name $value attr-dict `:` type($value)";
}

def Nnc_LossOp : Nnc_Op<"loss"> {
  let summary = "marks the scalar that training minimizes";
  let arguments = (ins Nnc_FloatScalar:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

def Nnc_MetricOp : Nnc_Op<"metric"> {
  let summary = "marks a scalar reported in training and evaluation";
  let arguments = (ins StrAttr:$name, Nnc_FloatScalar:$value);
  let assemblyFormat = "$name $value attr-dict `:` type($value)";
}

def Nnc_ParallelWorkOp : Nnc_Op<"parallel_work", [MemoryEffects<[MemWrite]>]> {
  let summary = "code generation hint: the work of the enclosing parallel loop";
  let description = [{
    Put by `nnc-tile-and-vectorize` at the start of an `scf.forall` body:
    all iterations of the loop together run about `$work` iterations of
    the tiled op's loop nest (multiply-adds of a matmul or convolution,
    elements of an elementwise op). `nnc-parallel-to-openmp` keeps a loop
    with too little work on the calling thread instead of forking, and
    erases the hint. It has no semantics of its own; it declares a write
    (to no memref) only so that it is not dead code and stays where it
    was put.
  }];
  let arguments = (ins Index:$work);
  let assemblyFormat = "$work attr-dict";
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Nnc_UnaryOp<string mnemonic, string doc, list<Trait> traits = []>
    : Nnc_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType,
                                            DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>])> {
  let summary = doc;
  let arguments = (ins Nnc_FloatTensor:$input);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Nnc_ReluOp : Nnc_UnaryOp<"relu", "max(x, 0)">;
def Nnc_SigmoidOp : Nnc_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Nnc_TanhOp : Nnc_UnaryOp<"tanh", "hyperbolic tangent">;
def Nnc_GeluOp : Nnc_UnaryOp<"gelu", "x * Phi(x), with the exact erf">;
def Nnc_ExpOp : Nnc_UnaryOp<"exp", "e^x">;
def Nnc_LogOp : Nnc_UnaryOp<"log", "natural logarithm">;
def Nnc_SqrtOp : Nnc_UnaryOp<"sqrt", "square root">;
def Nnc_AbsOp : Nnc_UnaryOp<"abs", "absolute value">;
def Nnc_NegOp : Nnc_UnaryOp<"neg", "-x">;

def Nnc_LeakyReluOp : Nnc_Op<"leaky_relu", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "x if x > 0 else alpha * x";
  let arguments = (ins Nnc_FloatTensor:$input, F64Attr:$alpha);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

class Nnc_BinaryOp<string mnemonic, string doc>
    : Nnc_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = doc # " with NumPy broadcasting";
  let arguments = (ins Nnc_FloatTensor:$lhs, Nnc_FloatTensor:$rhs);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];  let hasVerifier = 1;
}

def Nnc_AddOp : Nnc_BinaryOp<"add", "a + b">;
def Nnc_SubOp : Nnc_BinaryOp<"sub", "a - b">;
def Nnc_MulOp : Nnc_BinaryOp<"mul", "a * b">;
def Nnc_DivOp : Nnc_BinaryOp<"div", "a / b">;

//===----------------------------------------------------------------------===//
// Contractions, convolution and pooling
//===----------------------------------------------------------------------===//

def Nnc_MatmulOp : Nnc_Op<"matmul", [Pure, DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "matrix product, batched over leading dims";
  let description = [{
    `[..., m, k] @ [..., k, n] -> [..., m, n]`. The right operand may be 2-D,
    in which case it is shared by every leading index of the left operand.
  }];
  let arguments = (ins Nnc_FloatTensor:$lhs, Nnc_FloatTensor:$rhs);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];  let hasVerifier = 1;
}

def Nnc_Conv2DOp : Nnc_Op<"conv2d", [Pure,
    DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "2-D convolution, NHWC input and HWCF filter";
  let description = [{
    `padding` is `[top, bottom, left, right]` in elements (zeros).
  }];
  let arguments = (ins Nnc_FloatTensor:$input, Nnc_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` type($input) `,` type($filter) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

class Nnc_PoolOp<string mnemonic, string doc>
    : Nnc_Op<mnemonic, [Pure,
                        DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = doc # " over NHWC windows";
  let description = [{
    `padding` is `[top, bottom, left, right]`. Padded positions never win a
    max and are not counted in an average.
  }];
  let arguments = (ins Nnc_FloatTensor:$input, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Nnc_MaxPool2DOp : Nnc_PoolOp<"maxpool2d", "maximum">;
def Nnc_AvgPool2DOp : Nnc_PoolOp<"avgpool2d", "average">;

//===----------------------------------------------------------------------===//
// Shape manipulation and reductions
//===----------------------------------------------------------------------===//

def Nnc_ReshapeOp : Nnc_Op<"reshape", [Pure, DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "reinterprets the elements of each sample in a new shape";
  let description = [{
    The element count must be kept. When the input has a batch dimension the
    result has it too, first, and the per-sample element count is kept.
  }];
  let arguments = (ins Nnc_Tensor:$input);
  let results = (outs Nnc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Nnc_TransposeOp : Nnc_Op<"transpose", [Pure, DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "permutes dimensions: result dim i is input dim perm[i]";
  let arguments = (ins Nnc_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Nnc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Nnc_ConcatOp : Nnc_Op<"concat", [Pure, DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "joins tensors along an axis";
  let arguments = (ins Variadic<Nnc_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Nnc_Tensor:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasVerifier = 1;
}

class Nnc_ReduceOp<string mnemonic, string doc, list<Trait> traits = []>
    : Nnc_Op<mnemonic, !listconcat(traits, [Pure])> {
  let summary = doc # " over the given axes";
  let arguments = (ins Nnc_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Nnc_ReduceSumOp : Nnc_ReduceOp<"reduce_sum", "sum", [DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]>;
def Nnc_ReduceMeanOp : Nnc_ReduceOp<"reduce_mean", "mean", [DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]>;
def Nnc_ReduceMaxOp : Nnc_ReduceOp<"reduce_max", "maximum", [DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]>;

class Nnc_AxisOp<string mnemonic, string doc>
    : Nnc_Op<mnemonic, [Pure, SameOperandsAndResultType, DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = doc;
  let arguments = (ins Nnc_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Nnc_SoftmaxOp : Nnc_AxisOp<"softmax", "exp(x) / sum(exp(x)) along axis">;
def Nnc_LogSoftmaxOp
    : Nnc_AxisOp<"log_softmax", "x - log(sum(exp(x))) along axis">;

//===----------------------------------------------------------------------===//
// Normalization, dropout, embedding
//===----------------------------------------------------------------------===//

def Nnc_BatchNormOp : Nnc_Op<"batchnorm", [Pure,
    AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["gamma", "beta", "mean", "var"]>]> {
  let summary = "batch normalization over all dims but the last";
  let description = [{
    In training, normalizes with the batch's mean and (biased) variance and
    moves the running statistics `mean`/`var` towards them with `momentum`
    (`running = momentum * running + (1 - momentum) * batch`); in inference,
    normalizes with the running statistics. `gamma`, `beta`, `mean` and `var`
    are 1-D over the last dim of the input.
  }];
  let arguments = (ins Nnc_FloatTensor:$input, Nnc_FloatTensor:$gamma,
                       Nnc_FloatTensor:$beta, Nnc_FloatTensor:$mean,
                       Nnc_FloatTensor:$var, F64Attr:$momentum, F64Attr:$eps);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `,` $mean `,` $var attr-dict `:`
    type($input) `,` type($gamma)
  }];
  let hasVerifier = 1;
}

def Nnc_LayerNormOp : Nnc_Op<"layernorm", [Pure,
    AllTypesMatch<["input", "result"]>, AllTypesMatch<["gamma", "beta"]>,
    DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "normalizes each sample over its last dim";
  let arguments = (ins Nnc_FloatTensor:$input, Nnc_FloatTensor:$gamma,
                       Nnc_FloatTensor:$beta, F64Attr:$eps);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta attr-dict `:` type($input) `,` type($gamma)
  }];
  let hasVerifier = 1;
}

def Nnc_NormalizeOp : Nnc_Op<"normalize", [Pure,
    AllTypesMatch<["input", "result"]>, AllTypesMatch<["mean", "var"]>]> {
  let summary = "standardizes features with statistics of the training data";
  let description = [{
    `(x - mean) / sqrt(var)` with `var` clamped below by `eps`, where `mean`
    and `var` have the per-sample shape of `x` and are computed by the runtime
    from the training split before training starts (like Keras's
    `Normalization.adapt`).
  }];
  let arguments = (ins Nnc_FloatTensor:$input, Nnc_FloatTensor:$mean,
                       Nnc_FloatTensor:$var, F64Attr:$eps);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $mean `,` $var attr-dict `:` type($input) `,` type($mean)
  }];
  let hasVerifier = 1;
}

def Nnc_DropoutOp : Nnc_Op<"dropout", [Pure, SameOperandsAndResultType]> {
  let summary = "zeroes elements with probability rate in training";
  let description = [{
    In training each element is zeroed with probability `rate` and the rest
    are scaled by 1/(1-rate); in inference this is the identity. `stream`
    numbers the dropout ops of a model so that each draws its own mask from
    the step's seed.
  }];
  let arguments = (ins Nnc_FloatTensor:$input, F64Attr:$rate,
                       I64Attr:$stream);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Nnc_EmbeddingOp : Nnc_Op<"embedding", [Pure,
    DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "gathers rows of a [vocab, dim] table by integer id";
  let arguments = (ins Nnc_FloatTensor:$table, Nnc_IntTensor:$ids);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $table `,` $ids attr-dict `:` type($table) `,` type($ids) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Recurrent layers: whole sequences, not unrolled
//===----------------------------------------------------------------------===//

class Nnc_RecurrentBase<string mnemonic, list<Trait> traits = []>
    : Nnc_Op<mnemonic, !listconcat(traits, [Pure])> {
  let arguments = (ins Nnc_FloatTensor:$input, Nnc_FloatTensor:$kernel,
                       Nnc_FloatTensor:$recurrent_kernel,
                       Nnc_FloatTensor:$bias, StrAttr:$cell,
                       StrAttr:$activation, BoolAttr:$return_sequences);
  let hasVerifier = 1;
  code commonDecls = [{
    /// Gates per unit: 1 (rnn), 4 (lstm, i f c o), 3 (gru, z r h).
    int64_t getGates();
    /// Units: the recurrent kernel's rows.
    int64_t getUnits();
    /// [H]-wide slots of the residuals a training forward keeps per step:
    /// rnn h; lstm i f c~ o c h; gru z r h~ (U_h h_{t-1} + b_rh) h.
    int64_t getSlots();
  }];
}

def Nnc_RecurrentOp : Nnc_RecurrentBase<"recurrent"> {
  let summary = "an rnn, lstm or gru layer over a whole [N, T, F] sequence";
  let description = [{
    `cell` is `rnn` (h_t = act(x_t K + h_{t-1} U + b)), `lstm` (Keras's
    LSTM: gates i, f, c, o packed in that order in K [F, 4H], U [H, 4H] and
    b [4H]) or `gru` (Keras's GRU with reset_after: gates z, r, h in
    K [F, 3H], U [H, 3H]; b [2, 3H] holds the input and the recurrent bias).
    States start at zero. The result is the last state [N, H], or every
    step's [N, T, H] with `return_sequences`. The IR does not depend on T:
    the lowering is a loop over time.
  }];
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $kernel `,` $recurrent_kernel `,` $bias attr-dict `:`
    type($input) `,` type($kernel) `,` type($recurrent_kernel) `,`
    type($bias) `->` type($result)
  }];
  let extraClassDeclaration = commonDecls;
}

def Nnc_RecurrentTrainOp : Nnc_RecurrentBase<"recurrent_train",
    [DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "a recurrent layer in training: keeps what its backward needs";
  let description = [{
    `recurrent` that also returns its residuals [N, T, slots * H] (see
    getSlots): the activated gates and states of every step, for
    `recurrent_grad`.
  }];
  let results = (outs Nnc_FloatTensor:$result, Nnc_FloatTensor:$residuals);
  let assemblyFormat = [{
    $input `,` $kernel `,` $recurrent_kernel `,` $bias attr-dict `:`
    type($input) `,` type($kernel) `,` type($recurrent_kernel) `,`
    type($bias) `->` type($result) `,` type($residuals)
  }];
  let extraClassDeclaration = commonDecls;
}

def Nnc_RecurrentGradOp : Nnc_Op<"recurrent_grad", [Pure]> {
  let summary = "backpropagation through time of a recurrent layer";
  let description = [{
    Given the gradient of a `recurrent_train`'s result and its residuals,
    the gradients of its input, kernel, recurrent kernel and bias: a reverse
    loop over time with one matmul per step, then one matmul each over all
    N * T rows for the kernels and the input.
  }];
  let arguments = (ins Nnc_FloatTensor:$grad, Nnc_FloatTensor:$input,
                       Nnc_FloatTensor:$kernel,
                       Nnc_FloatTensor:$recurrent_kernel,
                       Nnc_FloatTensor:$bias, Nnc_FloatTensor:$residuals,
                       StrAttr:$cell, StrAttr:$activation,
                       BoolAttr:$return_sequences);
  let results = (outs Nnc_FloatTensor:$input_grad,
                      Nnc_FloatTensor:$kernel_grad,
                      Nnc_FloatTensor:$recurrent_kernel_grad,
                      Nnc_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $grad `,` $input `,` $kernel `,` $recurrent_kernel `,` $bias `,`
    $residuals attr-dict `:` type($grad) `,` type($input) `,` type($kernel)
    `,` type($recurrent_kernel) `,` type($bias) `,` type($residuals) `->`
    type(results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Losses and metrics: scalar results, means over the batch
//===----------------------------------------------------------------------===//

class Nnc_ScalarOp<string mnemonic, string doc, Type rhsType,
                   list<Trait> traits = []>
    : Nnc_Op<mnemonic, !listconcat(traits, [Pure])> {
  let summary = doc;
  let arguments = (ins Nnc_FloatTensor:$lhs, rhsType:$rhs);
  let results = (outs Nnc_FloatScalar:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];  let hasVerifier = 1;
}

def Nnc_CrossEntropyOp : Nnc_ScalarOp<"cross_entropy",
    "mean softmax cross-entropy of [N, C] logits and [N] class ids",
    Nnc_IntTensor, [DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]>;
def Nnc_BinaryCrossEntropyOp : Nnc_ScalarOp<"binary_cross_entropy",
    "mean sigmoid cross-entropy of logits and 0/1 targets of the same shape",
    Nnc_FloatTensor, [DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]>;
def Nnc_MseOp : Nnc_ScalarOp<"mse",
    "mean squared error of two tensors of the same shape", Nnc_FloatTensor,
    [DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]>;
def Nnc_AccuracyOp : Nnc_ScalarOp<"accuracy",
    "fraction of correct predictions: argmax of [N, C] logits vs [N] ids, "
    "or logits > 0 vs targets > 0.5 for [N, 1]", Nnc_Tensor>;

//===----------------------------------------------------------------------===//
// Training: dropout masks and optimizer updates
//===----------------------------------------------------------------------===//

def Nnc_DropoutTrainOp : Nnc_Op<"dropout_train", [Pure,
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<Nnc_DifferentiableOpInterface>]> {
  let summary = "dropout in training: a seeded mask, recomputable";
  let description = [{
    Element `i` (row-major linear index) is kept, scaled by 1/(1-rate), when
    a counter-based hash of (`key`, `stream`, i) drawn as a uniform number
    in [0, 1) is at least `rate`, else zeroed. The mask depends only on the
    key, the stream and the position, so the backward pass recomputes it
    (the gradient is `dropout_train` of the gradient) instead of storing it.
  }];
  let arguments = (ins Nnc_FloatTensor:$input, 0DTensorOf<[I32]>:$key,
                       F64Attr:$rate, I64Attr:$stream);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$input `,` $key attr-dict `:` type($result) `,` type($key)";
  let hasVerifier = 1;
}

def Nnc_SgdUpdateOp : Nnc_Op<"sgd_update", [Pure,
    AllTypesMatch<["param", "grad", "result"]>]> {
  let summary = "param - lr * grad";
  let arguments = (ins Nnc_FloatTensor:$param, Nnc_FloatTensor:$grad,
                       Nnc_FloatScalar:$lr);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $param `,` $grad `,` $lr attr-dict `:` type($param) `,` type($lr)
  }];
}

def Nnc_MomentumUpdateOp : Nnc_Op<"momentum_update", [Pure,
    AllTypesMatch<["param", "grad", "velocity", "newParam", "newVelocity"]>]> {
  let summary = "SGD with momentum (PyTorch's form), optionally Nesterov";
  let description = [{
    `v' = momentum * v + g`; `p' = p - lr * (nesterov ? g + momentum * v' : v')`.
  }];
  let arguments = (ins Nnc_FloatTensor:$param, Nnc_FloatTensor:$grad,
                       Nnc_FloatTensor:$velocity, Nnc_FloatScalar:$lr,
                       F64Attr:$momentum, BoolAttr:$nesterov);
  let results = (outs Nnc_FloatTensor:$newParam,
                      Nnc_FloatTensor:$newVelocity);
  let assemblyFormat = [{
    $param `,` $grad `,` $velocity `,` $lr attr-dict `:` type($param) `,`
    type($lr)
  }];
}

def Nnc_AdamUpdateOp : Nnc_Op<"adam_update", [Pure,
    AllTypesMatch<["param", "grad", "m", "v", "newParam", "newM", "newV"]>,
    AllTypesMatch<["lr", "step"]>]> {
  let summary = "Adam (weight_decay = 0) or AdamW, PyTorch's form";
  let description = [{
    With t = `step` (from 1): `p = p * (1 - lr * weight_decay)` (AdamW's
    decoupled decay), `m' = b1 m + (1 - b1) g`, `v' = b2 v + (1 - b2) g^2`,
    `p' = p - lr / (1 - b1^t) * m' / (sqrt(v') / sqrt(1 - b2^t) + eps)`.
  }];
  let arguments = (ins Nnc_FloatTensor:$param, Nnc_FloatTensor:$grad,
                       Nnc_FloatTensor:$m, Nnc_FloatTensor:$v,
                       Nnc_FloatScalar:$lr, Nnc_FloatScalar:$step,
                       F64Attr:$beta1, F64Attr:$beta2, F64Attr:$eps,
                       F64Attr:$weight_decay);
  let results = (outs Nnc_FloatTensor:$newParam, Nnc_FloatTensor:$newM,
                      Nnc_FloatTensor:$newV);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `,` $lr `,` $step attr-dict `:`
    type($param) `,` type($lr)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data-parallel training (nnc --distributed=mpi)
//===----------------------------------------------------------------------===//

def Nnc_GradAllreduceStartOp : Nnc_Op<"grad_allreduce_start", [
    SameOperandsAndResultType, MemoryEffects<[MemWrite]>]> {
  let summary = "hands a gradient to the all-reduce of its bucket";
  let description = [{
    Put by `nnc-optimizer{distributed=1}` right after a parameter's
    gradient is computed. The runtime (runtime/mpi/) copies the gradient,
    weighted by this process's share of the global batch, into slot
    `offset` (elements) of bucket `bucket`, which holds `bucket_size`
    elements; when the bucket's last gradient arrives, the bucket's sum
    over all processes starts (MPI_Iallreduce) while the backward goes on.
    The result is the same buffer (bufferized in place); it may be read
    only through `nnc.grad_allreduce_wait`. Lowered at bufferization to a
    call of `nnc_rt_grad_ready`.
  }];
  let arguments = (ins Nnc_FloatTensor:$grad, I64Attr:$bucket,
                       I64Attr:$offset, I64Attr:$bucket_size);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$grad attr-dict `:` type($result)";
}

def Nnc_GradAllreduceWaitOp : Nnc_Op<"grad_allreduce_wait", [
    SameOperandsAndResultType, MemoryEffects<[MemWrite]>]> {
  let summary = "the gradient summed over all processes";
  let description = [{
    Waits for the all-reduce of `bucket` (started by the
    `nnc.grad_allreduce_start` ops of its gradients) and returns slot
    `offset` of it: the gradient of the global batch. Placed before the
    parameter's optimizer update. Lowered at bufferization to a call of
    `nnc_rt_grad_wait`, in place.
  }];
  let arguments = (ins Nnc_FloatTensor:$grad, I64Attr:$bucket,
                       I64Attr:$offset);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$grad attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Ops that gradients are built from
//===----------------------------------------------------------------------===//

def Nnc_WherePositiveOp : Nnc_Op<"where_positive", [Pure,
    AllTypesMatch<["x", "ifPositive", "otherwise", "result"]>]> {
  let summary = "x > 0 ? ifPositive : otherwise, elementwise";
  let arguments = (ins Nnc_FloatTensor:$x, Nnc_FloatTensor:$ifPositive,
                       Nnc_FloatTensor:$otherwise);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $ifPositive `,` $otherwise attr-dict `:` type($result)
  }];
}

def Nnc_ReduceGradOp : Nnc_Op<"reduce_grad", [Pure,
    AllTypesMatch<["like", "result"]>]> {
  let summary = "the gradient of a sum or mean: broadcast back over axes";
  let description = [{
    Repeats `grad` (the gradient of `reduce_sum/mean(like, axes)`, with or
    without the reduced dims) over the reduced `axes` of `like`'s shape;
    with `mean`, divides by the number of elements reduced.
  }];
  let arguments = (ins Nnc_FloatTensor:$grad, Nnc_FloatTensor:$like,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$mean);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $like attr-dict `:` type($grad) `,` type($like)
  }];
  let hasVerifier = 1;
}

def Nnc_CrossEntropyGradOp : Nnc_Op<"cross_entropy_grad", [Pure,
    AllTypesMatch<["logits", "result"]>]> {
  let summary = "d cross_entropy / d logits: (softmax - one_hot) * g / N";
  let arguments = (ins Nnc_FloatTensor:$logits, Nnc_IntTensor:$labels,
                       Nnc_FloatScalar:$grad);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels `,` $grad attr-dict `:` type($logits) `,`
    type($labels) `,` type($grad)
  }];
}

def Nnc_SliceOp : Nnc_Op<"slice", [Pure]> {
  let summary = "the elements [start, start + size) of one axis";
  let arguments = (ins Nnc_Tensor:$input, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$size);
  let results = (outs Nnc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Nnc_GeluGradOp : Nnc_Op<"gelu_grad", [Pure,
    AllTypesMatch<["input", "grad", "result"]>]> {
  let summary = "grad * d gelu(x) / dx = grad * (Phi(x) + x phi(x))";
  let arguments = (ins Nnc_FloatTensor:$input, Nnc_FloatTensor:$grad);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($result)";
}

def Nnc_LayerNormGradOp : Nnc_Op<"layernorm_grad", [Pure,
    AllTypesMatch<["input", "grad", "input_grad"]>,
    AllTypesMatch<["gamma", "gamma_grad", "beta_grad"]>]> {
  let summary = "the gradients of layernorm: input, gamma and beta";
  let description = [{
    With xhat = (x - mean) / sqrt(var + eps) over the last dim (D elements)
    and g = grad * gamma: `input_grad = (g - mean(g) - xhat mean(g xhat)) /
    sqrt(var + eps)`, `gamma_grad = sum(grad xhat)` and `beta_grad =
    sum(grad)` over all dims but the last. The statistics are recomputed
    from the input (the forward stores nothing); lowered as row
    reductions and one elementwise pass, not a dozen separate ops.
  }];
  let arguments = (ins Nnc_FloatTensor:$input, Nnc_FloatTensor:$gamma,
                       Nnc_FloatTensor:$grad, F64Attr:$eps);
  let results = (outs Nnc_FloatTensor:$input_grad,
                      Nnc_FloatTensor:$gamma_grad,
                      Nnc_FloatTensor:$beta_grad);
  let assemblyFormat = [{
    $input `,` $gamma `,` $grad attr-dict `:` type($input) `,` type($gamma)
  }];
  let hasVerifier = 1;
}

def Nnc_Conv2DInputGradOp : Nnc_Op<"conv2d_input_grad", [Pure]> {
  let summary = "d conv2d / d input: the transposed convolution of grad";
  let description = [{
    The gradient with respect to the NHWC input (of the result's type) of
    `conv2d(input, filter)` with these `strides` and `padding`, given the
    gradient `grad` of its result.
  }];
  let arguments = (ins Nnc_FloatTensor:$grad, Nnc_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $filter attr-dict `:` type($grad) `,` type($filter) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Nnc_Conv2DFilterGradOp : Nnc_Op<"conv2d_filter_grad", [Pure]> {
  let summary = "d conv2d / d filter: input windows times grad, summed";
  let description = [{
    The gradient with respect to the HWCF filter (of the result's type) of
    `conv2d(input, filter)` with these `strides` and `padding`, given the
    gradient `grad` of its result: a contraction over the batch and the
    output positions.
  }];
  let arguments = (ins Nnc_FloatTensor:$input, Nnc_FloatTensor:$grad,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad attr-dict `:` type($input) `,` type($grad) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Nnc_MaxPool2DGradOp : Nnc_Op<"maxpool2d_grad", [Pure,
    AllTypesMatch<["input", "result"]>, AllTypesMatch<["output", "grad"]>]> {
  let summary = "d maxpool2d / d input: grad routed to each window's max";
  let description = [{
    `output` is `maxpool2d(input)` with these attributes and `grad` its
    gradient. Each window's gradient goes to the first element of the window
    (in row-major window order) equal to its maximum, as in PyTorch; padded
    positions never receive any.
  }];
  let arguments = (ins Nnc_FloatTensor:$input, Nnc_FloatTensor:$output,
                       Nnc_FloatTensor:$grad, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $output `,` $grad attr-dict `:` type($input) `,` type($grad)
  }];
  let hasVerifier = 1;
}

def Nnc_AvgPool2DGradOp : Nnc_Op<"avgpool2d_grad", [Pure]> {
  let summary = "d avgpool2d / d input: grad spread evenly over each window";
  let description = [{
    The gradient with respect to the input (of the result's type) of
    `avgpool2d` with these attributes: each window's gradient divided by the
    number of unpadded elements under it, added to each of them.
  }];
  let arguments = (ins Nnc_FloatTensor:$grad, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = "$grad attr-dict `:` type($grad) `->` type($result)";
  let hasVerifier = 1;
}

def Nnc_ReduceMaxGradOp : Nnc_Op<"reduce_max_grad", [Pure,
    AllTypesMatch<["input", "result"]>, AllTypesMatch<["output", "grad"]>]> {
  let summary = "d reduce_max / d input: grad split evenly among the maxima";
  let description = [{
    `output` is `reduce_max(input, axes)` (with or without the reduced dims)
    and `grad` its gradient. Each element equal to its maximum gets the
    gradient divided by the number of such elements, as torch.amax does.
  }];
  let arguments = (ins Nnc_FloatTensor:$grad, Nnc_FloatTensor:$input,
                       Nnc_FloatTensor:$output, DenseI64ArrayAttr:$axes);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $input `,` $output attr-dict `:` type($grad) `,` type($input)
  }];
  let hasVerifier = 1;
}

def Nnc_EmbeddingGradOp : Nnc_Op<"embedding_grad", [Pure]> {
  let summary = "d embedding / d table: rows of grad summed by id";
  let description = [{
    The gradient with respect to the [vocab, dim] table (of the result's
    type) of `embedding(table, ids)`: row `id` is the sum of the rows of
    `grad` looked up with that id (ids clamped to the table, as the lookup
    does).
  }];
  let arguments = (ins Nnc_FloatTensor:$grad, Nnc_IntTensor:$ids);
  let results = (outs Nnc_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $ids attr-dict `:` type($grad) `,` type($ids) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

#endif // NNC_OPS_TD
