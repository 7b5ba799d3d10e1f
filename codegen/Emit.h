//===- Emit.h - LLVM IR, machine code, header and linking -------*- C++ -*-===//
#ifndef NNC_CODEGEN_EMIT_H
#define NNC_CODEGEN_EMIT_H

#include "codegen/CpuPipeline.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>

namespace nnc {

/// A target machine for `options.targetCpu` ("native": the host's CPU and
/// features), position-independent. Null with an error message on failure.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CodegenOptions &options, std::string &error);

/// Translates a module in the LLVM dialect to LLVM IR for `tm` and runs
/// LLVM's optimizations at `options.optLevel`.
std::unique_ptr<llvm::Module> translateAndOptimize(mlir::ModuleOp module,
                                                   llvm::LLVMContext &context,
                                                   llvm::TargetMachine &tm,
                                                   const CodegenOptions &options);

/// Runs LLVM's optimizations at `optLevel` (O2 less the loop and SLP
/// vectorizers: MLIR has vectorized already).
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                    unsigned optLevel);

/// Translates a module in the LLVM dialect to LLVM IR for `tm`, not yet
/// optimized.
std::unique_ptr<llvm::Module> translate(mlir::ModuleOp module,
                                        llvm::LLVMContext &context,
                                        llvm::TargetMachine &tm);

/// The images of the object files of `module`, optimized at
/// `options.optLevel`: with more than one thread it is split into twice
/// as many parts as `threads` along its functions (each with the local
/// functions that only it uses), which `threads` threads optimize and
/// compile in turn. `threads` 0 means one per core, at most 4. Local
/// globals (constants, OpenMP's source locations) and local functions
/// used by several functions (shared kernels) would tie those functions
/// into one part: with more than one part they become hidden symbols
/// named after `symbolPrefix`. An error message on failure.
std::string emitObjects(std::unique_ptr<llvm::Module> module,
                        const CodegenOptions &options,
                        llvm::StringRef symbolPrefix,
                        std::vector<llvm::SmallVector<char, 0>> &objects,
                        unsigned threads = 0);

/// Writes an object file or assembly of `module`.
mlir::LogicalResult emitMachineCode(llvm::Module &module,
                                    llvm::TargetMachine &tm, bool assembly,
                                    llvm::raw_pwrite_stream &os);

/// Fails, with an error naming the kernel, if a kernel's PTX calls an
/// external function (a libdevice function that was not linked): the
/// driver could not load it.
mlir::LogicalResult checkPtx(mlir::ModuleOp module);

/// Writes the PTX of every kernel module (gpu.binary) of a lowered CUDA
/// module, each after a comment line naming it.
void emitPtx(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Writes the C header of a model from its description (JSON).
mlir::LogicalResult emitHeader(llvm::StringRef description,
                               llvm::raw_ostream &os);

enum class LinkKind { Executable, SharedLibrary, Relocatable };

/// Links `objects` with the runtime (in `runtimeDir`) into `output`; with
/// `mpiLibraries` (an executable of nnc --distributed=mpi), also the
/// runtime's MPI layer (libnnc_mpi.a) and those libraries.
/// Returns an error message, empty on success.
std::string link(LinkKind kind, llvm::ArrayRef<std::string> objects,
                 llvm::StringRef output, llvm::StringRef runtimeDir,
                 llvm::ArrayRef<std::string> mpiLibraries = {});

} // namespace nnc

#endif // NNC_CODEGEN_EMIT_H
