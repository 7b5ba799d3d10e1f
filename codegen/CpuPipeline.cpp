//===- CpuPipeline.cpp - the phases of CPU code generation ----------------===//
//
// Each phase is a textual pass pipeline, read top to bottom. The same
// phases serve the AOT driver (nnc) and the JIT (codegen/Jit.cpp).
//
//===----------------------------------------------------------------------===//
#include "codegen/CpuPipeline.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

static LogicalResult add(OpPassManager &pm, llvm::StringRef pipeline) {
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(pipeline, pm, os))) {
    llvm::errs() << "nnc: internal error: bad pipeline: " << error << "\n";
    return failure();
  }
  return success();
}

LogicalResult nnc::buildLinalgPipeline(OpPassManager &pm,
                                       const CodegenOptions &options) {
  return add(pm, "nnc-build-inference,"
                 "nnc-describe-model,"
                 "func.func(nnc-lower-to-linalg, canonicalize, cse),"
                 "linalg-fuse-elementwise-ops,"
                 "canonicalize, cse");
}

LogicalResult nnc::buildCpuLoweringPipeline(OpPassManager &pm,
                                            const CodegenOptions &options) {
  std::string pipeline =
      // Tensors to buffers; results become caller-provided out-params.
      "one-shot-bufferize{bufferize-function-boundaries "
      "function-boundary-type-conversion=identity-layout-map},"
      "buffer-results-to-out-params,"
      "canonicalize,"
      "buffer-deallocation-pipeline,"
      "nnc-abi-wrappers,"
      // Loops, then the LLVM dialect.
      "func.func(convert-linalg-to-loops),"
      "expand-strided-metadata,"
      "lower-affine,"
      "convert-scf-to-cf,"
      "func.func(nnc-approximate-math),"
      "convert-math-to-llvm,"
      "convert-math-to-libm,"
      "finalize-memref-to-llvm,"
      "convert-arith-to-llvm,"
      "convert-index-to-llvm,"
      "convert-func-to-llvm,"
      "convert-cf-to-llvm,"
      "reconcile-unrealized-casts,";
  pipeline += options.program ? "nnc-model-def{program=1}" : "nnc-model-def";
  return add(pm, pipeline);
}
