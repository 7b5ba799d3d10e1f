//===- Passes.td - graph-level passes of nnc ---------------*- tablegen -*-===//
#ifndef NNC_PASSES_TD
#define NNC_PASSES_TD

include "mlir/Pass/PassBase.td"

def PruneGraph : Pass<"nnc-prune-graph", "mlir::ModuleOp"> {
  let summary = "removes ops and variables that no output, loss or metric uses";
  let description = [{
    Values bound but never used by an `nnc.output`, `nnc.loss` or
    `nnc.metric` are dropped, and so are the `nnc.variable`s that no
    remaining `nnc.load` reads. Keeps the graph that later phases
    differentiate and lower down to what the model computes.
  }];
  let dependentDialects = ["::nnc::NncDialect"];
}

def BuildInference : Pass<"nnc-build-inference", "mlir::ModuleOp"> {
  let summary = "builds the inference entry point <model>_predict";
  let description = [{
    From the model's graph function, builds
    `func.func @<model>_predict(variables..., inputs...) -> (outputs...)`:
    every variable of the module becomes an argument (in module order,
    tagged `nnc.variable`), inputs follow (tagged `nnc.input`), and the
    outputs are returned (tagged `nnc.output`). Inference semantics: dropout
    is the identity, batchnorm uses its running statistics; the loss and
    metrics are dropped. The function is tagged `nnc.entry = "predict"`.
  }];
  let options = [
    Option<"eraseGraph", "erase-graph", "bool", /*default=*/"false",
           "Erase the graph function afterwards">,
  ];
  let dependentDialects = ["::nnc::NncDialect", "::mlir::func::FuncDialect"];
}

def Autodiff : Pass<"nnc-autodiff", "mlir::ModuleOp"> {
  let summary = "builds <model>_gradients: the loss and its gradients";
  let description = [{
    Reverse-mode differentiation of the graph's loss with respect to every
    trainable parameter. Builds
    `func.func @<model>_gradients(variables..., inputs..., targets...) ->
    (loss, d loss / d param...)` (the parameters in module order, tagged
    `nnc.gradient`): the forward graph, then each op's vector-Jacobian
    product (DifferentiableOp) in reverse order. Gradients of values used
    more than once are summed; only values that depend on a parameter get
    one (integer targets, the argmax inside accuracy and metrics are never
    differentiated); a parameter the loss does not use gets zeros. An op
    on the path from a parameter to the loss without a gradient is an
    error at its source line with `require-loss` (--emit=grad); without it,
    such a model (or one without a loss) just gets no gradients entry.
  }];
  let options = [
    Option<"requireLoss", "require-loss", "bool", /*default=*/"false",
           "Fail on a model without a loss">,
  ];
  let dependentDialects = ["::nnc::NncDialect", "::mlir::func::FuncDialect"];
}

def Optimizer : Pass<"nnc-optimizer", "mlir::ModuleOp"> {
  let summary = "builds <model>_train_step: gradients plus the optimizer's update";
  let description = [{
    From `<model>_gradients` (nnc-autodiff) and the optimizer of the
    module's `nnc.train` settings, builds
    `func.func @<model>_train_step(variables..., inputs..., targets...,
    lr, step, key) -> (loss, metrics..., updated variables...)`.
    The optimizer's state becomes `nnc.variable`s of kind `optimizer`,
    appended to the module and named `optimizer.<slot>.<param>` (Adam and
    AdamW: `m`, `v`; SGD with momentum: `momentum`), zero-initialized.
    The state results of `<model>_gradients` are dropped (it updates
    nothing). Each parameter's update is one op (`nnc.sgd_update`,
    `nnc.momentum_update`, `nnc.adam_update`) placed after the whole
    backward pass, so that in-place updates never clobber a value still to
    be read. Results after the metrics are tagged `nnc.update` with the
    variable they replace: parameters, optimizer slots, then state (e.g.
    batchnorm's running statistics); the runtime passes each variable's own
    buffer for them. The learning rate and the step (counted from 1) are
    0-d tensors of the loss's type, run-time arguments.
    With `gradients-entry=0` (an executable, which never calls it)
    `<model>_gradients` is erased once the step is built, so that the
    backward pass is compiled once, not twice.
    With `distributed=1` (nnc --distributed=mpi) each gradient is summed
    over the processes of a data-parallel run before its update: the
    gradients are grouped, last layer first, into buckets (one of
    `bucket-bytes` or more alone, smaller ones packed up to about
    `bucket-bytes`); `nnc.grad_allreduce_start` follows each gradient's
    computation (a bucket's all-reduce starts with its last gradient and
    overlaps the rest of the backward) and `nnc.grad_allreduce_wait`
    precedes each update.
  }];
  let options = [
    Option<"gradientsEntry", "gradients-entry", "bool", /*default=*/"true",
           "Keep <model>_gradients as an entry point">,
    Option<"distributed", "distributed", "bool", /*default=*/"false",
           "Sum the gradients over the processes of a data-parallel run">,
    Option<"bucketBytes", "bucket-bytes", "int64_t", /*default=*/"1 << 20",
           "The size of a bucket of gradients all-reduced together">,
  ];
  let dependentDialects = ["::nnc::NncDialect", "::mlir::func::FuncDialect"];
}

def DescribeModel : Pass<"nnc-describe-model", "mlir::ModuleOp"> {
  let summary = "records the model's interface as JSON; drops the graph";
  let description = [{
    The last graph-level pass. Writes what the runtime needs to know about
    the model into the module attribute `nnc.description` (a JSON string:
    variables with their shapes and initializers, inputs, targets, outputs,
    metrics, the training settings and the entry points' names; the buffer
    order is the convention of docs/abi.md), then erases the graph function and the `nnc.variable`s: from
    here on the entry points take every tensor as an argument.
    `device` records where the compiled code runs ("cpu", or "cuda" and
    the GPU architecture): the runtime keeps a CUDA model's variables in
    device memory.
  }];
  let options = [
    Option<"device", "device", "std::string", /*default=*/"\"cpu\"",
           "Where the compiled code runs: cpu or cuda">,
    Option<"gpuArch", "gpu-arch", "std::string", /*default=*/"\"\"",
           "The GPU architecture (sm_90...) with device=cuda">,
  ];
  let dependentDialects = ["::nnc::NncDialect"];
}

#endif // NNC_PASSES_TD
