//===- Passes.td - code generation passes of nnc -----------*- tablegen -*-===//
#ifndef NNC_CODEGEN_PASSES_TD
#define NNC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerToLinalg : Pass<"nnc-lower-to-linalg", "mlir::func::FuncOp"> {
  let summary = "lowers nnc ops to linalg, tensor, arith and math";
  let description = [{
    Each nnc op becomes named linalg ops where they exist (matmul,
    batch_matmul, conv_2d_nhwc_hwcf, pooling_nhwc_max/sum, transpose) and
    linalg.generic elsewhere, on tensors. Broadcasting becomes indexing maps;
    the batch dimension's size is read with tensor.dim. Inference semantics
    for batchnorm (running statistics); dropout must be gone before this
    pass (nnc-build-inference removes it).
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def ApproximateMath : Pass<"nnc-approximate-math", "mlir::func::FuncOp"> {
  let summary = "f32 exp, log, tanh, erf, ... as vectorizable polynomials";
  let description = [{
    Rewrites f32 math ops (scalar or vector) into MLIR's polynomial
    approximations, so that vectorized loops stay vectorized instead of
    calling libm once per lane. f64 ops are left to libm.
  }];
  let dependentDialects = ["::mlir::math::MathDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def AbiWrappers : Pass<"nnc-abi-wrappers", "mlir::ModuleOp"> {
  let summary = "gives each entry point the C signature (int64 batch, void **)";
  let description = [{
    Runs on bufferized IR. Each function tagged `nnc.entry` is renamed
    `<name>_impl` (private) and a function `<name>(i64 batch, ptr buffers)`
    takes its place: it reads one pointer per memref argument from
    `buffers`, builds the memref (row-major, the batch dim's size from
    `batch`) and calls the implementation. The model's description
    (`nnc.description`) becomes the constant string `<model>_description`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect"];
}

def ModelDef : Pass<"nnc-model-def", "mlir::ModuleOp"> {
  let summary = "emits the <model>_def table that the runtime loads";
  let description = [{
    Runs on the LLVM dialect. Emits the constant
    `<model>_def = {abi version, description, predict, train_step,
    eval_step}` (null for entry points the model lacks), the C struct
    `nnc_model_def` of runtime/nnc_runtime.h. With `program`, also the
    pointer `nnc_program_model` that the executable's main() starts from.
  }];
  let options = [
    Option<"program", "program", "bool", /*default=*/"false",
           "Also emit nnc_program_model">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // NNC_CODEGEN_PASSES_TD
