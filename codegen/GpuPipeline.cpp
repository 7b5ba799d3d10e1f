//===- GpuPipeline.cpp - the phases of CUDA code generation ---------------===//
//
// From linalg on tensors (the same graph as the CPU's) to host code in the
// LLVM dialect that launches kernels embedded as PTX. Read top to bottom.
//
//===----------------------------------------------------------------------===//
#include "codegen/CpuPipeline.h"


using namespace mlir;

/// Tensors to buffers and every linalg op to a tiled scf.parallel with
/// its GPU mapping attributes.
static std::string mappingPipeline() {
  return
      // Tensors to buffers, as on the CPU: variables updated in place,
      // results as out-params, temporaries freed.
      "one-shot-bufferize{bufferize-function-boundaries allow-return-allocs-from-loops "
      "function-boundary-type-conversion=identity-layout-map},"
      "nnc-in-place-updates,"
      "buffer-results-to-out-params{hoist-static-allocs},"
      "canonicalize,"
      "buffer-deallocation-pipeline,"
      // One kernel per linalg op: parallel dims to blocks of 16 x 16
      // threads (guarded at the edges), reductions sequential in each
      // thread.
      "func.func(nnc-gpu-prepare),"
      "func.func(convert-linalg-to-parallel-loops),"
      "func.func(scf-parallel-loop-tiling{parallel-loop-tile-sizes=16,16 "
      "no-min-max-bounds=true}),"
      "func.func(gpu-map-parallel-loops),";
}

/// The host's lowering to the LLVM dialect, after the kernels are gone.
static std::string hostPipeline(const nnc::CodegenOptions &options) {
  return std::string("convert-math-to-llvm,"
                     "convert-math-to-libm,"
                     "finalize-memref-to-llvm{use-generic-functions=1},"
                     "convert-arith-to-llvm,"
                     "convert-index-to-llvm,"
                     "convert-func-to-llvm,"
                     "convert-cf-to-llvm,"
                     "reconcile-unrealized-casts,") +
         (options.program ? "nnc-model-def{program=1}" : "nnc-model-def");
}

LogicalResult nnc::buildGpuLoweringPipeline(OpPassManager &pm,
                                            const CodegenOptions &options) {
  if (options.gpuEmulate)
    // Tests only: the mapped loops run sequentially on the CPU, so that
    // the CPU's numerics tests check what this pipeline does up to the
    // mapping (upstream's passes take it from there).
    return addPipeline(pm, mappingPipeline() +
                               "nnc-abi-wrappers,"
                               "func.func(nnc-approximate-math),"
                               "expand-strided-metadata,"
                               "lower-affine,"
                               "convert-scf-to-cf," +
                               hostPipeline(options));
  std::string chip = options.gpuArch;
  std::string pipeline =
      mappingPipeline() +
      "convert-parallel-loops-to-gpu,"
      "func.func(nnc-gpu-sink-scalars),"
      "canonicalize,"
      "func.func(nnc-gpu-device-memory),"
      "gpu-kernel-outlining,"
      "nnc-gpu-name-kernels,"
      "nnc-abi-wrappers,"
      // Launches, allocations and frees ordered on one stream per call,
      // synchronized once at its end.
      "func.func(gpu-async-region),"
      // Kernels: f32 math as polynomials (no libdevice), to NVVM, to PTX.
      "nvvm-attach-target{chip=" + chip + " O=3},"
      "gpu.module(nnc-approximate-math{gpu=1}),"
      "expand-strided-metadata,"
      "lower-affine,"
      "convert-scf-to-cf,"
      "gpu.module(convert-gpu-to-nvvm, canonicalize, cse, "
      "reconcile-unrealized-casts),"
      // Host: launches to mgpu* calls (runtime/Cuda.cpp).
      "gpu-to-llvm,"
      "gpu-module-to-binary{format=isa}," +
      hostPipeline(options);
  return addPipeline(pm, pipeline);
}
