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

/// Register tiles for the target: 8 x 32 f32 (16 of the 32 zmm registers)
/// with AVX-512, 4 x 16 (8 of the 16 ymm) with AVX2 or less.
static std::string tileOptions(const nnc::CodegenOptions &options) {
  std::string bits = " vector-bits=" + std::to_string(options.vectorBits);
  if (options.vectorBits >= 512)
    return "tile-m=8 tile-n=32" + bits;
  return "tile-m=4 tile-n=16" + bits;
}

LogicalResult nnc::addPipeline(OpPassManager &pm, llvm::StringRef pipeline) {
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(pipeline, pm, os))) {
    llvm::errs() << "nnc: internal error: bad pipeline: " << error << "\n";
    return failure();
  }
  return success();
}

LogicalResult nnc::buildFunctionsPipeline(OpPassManager &pm,
                                          const CodegenOptions &options) {
  // predict always; gradients when the model has a loss (--emit=grad
  // requires one).
  std::string pipeline = options.requireLoss
                             ? "nnc-build-inference, nnc-autodiff{require-loss=1}"
                             : "nnc-build-inference, nnc-autodiff";
  pipeline += ", nnc-optimizer{gradients-entry=" +
              std::to_string(options.gradientsEntry) +
              " distributed=" + std::to_string(options.distributed) +
              " bucket-bytes=" + std::to_string(options.bucketBytes) + "}";
  return addPipeline(pm, pipeline);
}

LogicalResult nnc::buildLinalgPipeline(OpPassManager &pm,
                                       const CodegenOptions &options) {
  std::string pipeline =
      options.cuda && !options.gpuEmulate
          ? "nnc-describe-model{device=cuda gpu-arch=" +
                options.gpuArch + "},"
          : std::string("nnc-describe-model,");
  // A pooled convolution's backward at the pooling's winners; 3 x 3
  // convolutions as Winograd F(2 x 2, 3 x 3) (CPU).
  if (options.optLevel > 0 && !options.cuda)
    pipeline += "func.func(nnc-route-pool-gradients{vector-bits=" +
                std::to_string(options.vectorBits) + "}" +
                (options.winogradTile
                     ? ", nnc-winograd-conv{vector-bits=" +
                           std::to_string(options.vectorBits) +
                           " max-tile=" +
                           std::to_string(options.winogradTile) + "}"
                     : std::string()) +
                "),";
  // Input gradients by taps on the CPU (an scf.forall the GPU mapping
  // does not take).
  pipeline += std::string("func.func(nnc-lower-to-linalg{input-grad-by-taps=") +
              (options.cuda ? "0" : "1") + "}, canonicalize, cse),"
              "func.func(nnc-fuse-elementwise),"
              "canonicalize, cse";
  if (options.optLevel > 0 && !options.cuda)
    pipeline += ",func.func(nnc-tile-and-vectorize{" + tileOptions(options) +
                "})";
  return addPipeline(pm, pipeline);
}

LogicalResult nnc::buildCpuLoweringPipeline(OpPassManager &pm,
                                            const CodegenOptions &options) {
  std::string pipeline =
      // Tensors to buffers; results become caller-provided out-params.
      "one-shot-bufferize{bufferize-function-boundaries allow-return-allocs-from-loops "
      "function-boundary-type-conversion=identity-layout-map},"
      // Updated variables stay in their buffers (train_step updates the
      // parameters in place); other results become out-params, written
      // directly when they are fresh static buffers.
      "nnc-in-place-updates,"
      "buffer-results-to-out-params{hoist-static-allocs},"
      "canonicalize,"
      // Small per-tile temporaries live on the stack, not the heap.
      "func.func(buffer-loop-hoisting,"
      "promote-buffers-to-stack{max-alloc-size-in-bytes=16384}),"
      "buffer-deallocation-pipeline,"
      "nnc-abi-wrappers,"
      // Each loop nest once, whichever entry points compute it.
      "nnc-outline-kernels,"
      // Vectors to FMAs, what is left to loops, threads to OpenMP.
      "func.func(nnc-lower-vectors),"
      "func.func(convert-linalg-to-loops),"
      "scf-forall-to-parallel,"
      "nnc-parallel-to-openmp,"
      "convert-scf-to-openmp,"
      // What works within a function runs on each function (kernel) in
      // parallel; only passes that add declarations or convert signatures
      // run on the module.
      "func.func("
      "canonicalize,"  // inlines the alloca scopes of OpenMP bodies
      "convert-vector-to-scf{full-unroll=true},"
      "expand-strided-metadata,"
      "lower-affine,"
      "convert-scf-to-cf,"
      // f32 math as polynomials, intrinsics where LLVM has them, libm for
      // the rest (before vectors are lowered: libm calls are scalarized).
      "nnc-approximate-math,"
      "convert-math-to-llvm),"
      "convert-math-to-libm,"
      "func.func(convert-vector-to-llvm),"
      // Allocations through the runtime's caching allocator
      // (runtime/Alloc.cpp).
      "finalize-memref-to-llvm{use-generic-functions=1},"
      "func.func(convert-arith-to-llvm,"
      "convert-index-to-llvm),"
      "convert-func-to-llvm,"
      "convert-openmp-to-llvm,"
      "convert-cf-to-llvm,"
      "reconcile-unrealized-casts,";
  pipeline += options.program ? "nnc-model-def{program=1}" : "nnc-model-def";
  return addPipeline(pm, pipeline);
}

LogicalResult nnc::buildLoweringPipeline(OpPassManager &pm,
                                         const CodegenOptions &options) {
  return options.cuda ? buildGpuLoweringPipeline(pm, options)
                      : buildCpuLoweringPipeline(pm, options);
}
