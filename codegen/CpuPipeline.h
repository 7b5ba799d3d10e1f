//===- CpuPipeline.h - the phases of CPU code generation --------*- C++ -*-===//
#ifndef NNC_CODEGEN_CPUPIPELINE_H
#define NNC_CODEGEN_CPUPIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace nnc {

struct CodegenOptions {
  unsigned optLevel = 2;
  /// The CPU to generate code for ("native": the host's).
  std::string targetCpu = "native";
  /// Emit nnc_program_model (for an executable's main()).
  bool program = false;
  /// Fail on a model without a loss (--emit=grad).
  bool requireLoss = false;
  /// Compile <model>_gradients (an executable never calls it).
  bool gradientsEntry = true;
  /// Sum the training step's gradients over the processes of a
  /// data-parallel run (nnc --distributed=mpi), in buckets of about
  /// bucketBytes.
  bool distributed = false;
  int64_t bucketBytes = 1 << 20;
  /// The largest Winograd output tile of 3 x 3 stride-1 convolutions on
  /// the CPU: 4 (F(4 x 4) where it pays, else F(2 x 2)), 2, or 0 (direct
  /// convolutions only: their rounding). nnc --winograd=auto|2x2|off.
  unsigned winogradTile = 4;
  /// Width of the target's vector registers (set by resolveTarget).
  unsigned vectorBits = 256;
  /// Generate kernels for an NVIDIA GPU (--target=cuda) of this
  /// architecture; the host code is for `targetCpu`.
  bool cuda = false;
  std::string gpuArch = "sm_90";
  /// Tests only (nnc --gpu-emulate): the CUDA pipeline up to the kernels'
  /// mapping, then run on the CPU as sequential loops.
  bool gpuEmulate = false;
};

/// Adds a textual pass pipeline to `pm` (an internal error if it does not
/// parse).
mlir::LogicalResult addPipeline(mlir::OpPassManager &pm,
                                llvm::StringRef pipeline);

/// Fills in what depends on the target CPU (vector width).
void resolveTarget(CodegenOptions &options);

/// The entry points: predict, and the loss's gradients when the model has a
/// loss (`--emit=grad` prints the result).
mlir::LogicalResult buildFunctionsPipeline(mlir::OpPassManager &pm,
                                           const CodegenOptions &options);

/// Their lowering to linalg on tensors, fused and vectorized
/// (`--emit=linalg` prints the result).
mlir::LogicalResult buildLinalgPipeline(mlir::OpPassManager &pm,
                                        const CodegenOptions &options);

/// Bufferization and lowering to the LLVM dialect, ready for translation.
mlir::LogicalResult buildCpuLoweringPipeline(mlir::OpPassManager &pm,
                                             const CodegenOptions &options);

/// The same for --target=cuda (codegen/GpuPipeline.cpp): kernels lowered
/// to PTX in gpu.binary ops, host code calling the runtime's mgpu*
/// functions.
mlir::LogicalResult buildGpuLoweringPipeline(mlir::OpPassManager &pm,
                                             const CodegenOptions &options);

/// The lowering for `options`' target.
mlir::LogicalResult buildLoweringPipeline(mlir::OpPassManager &pm,
                                          const CodegenOptions &options);

} // namespace nnc

#endif // NNC_CODEGEN_CPUPIPELINE_H
