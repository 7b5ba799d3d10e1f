//===- GpuNameKernels.cpp - kernels named after their op and line ----------===//
//
// gpu-kernel-outlining names every kernel `<function>_kernel` (in modules
// `<function>_kernel_<n>`). This pass renames module and kernel to
// `<entry>_k<n>_<op>_l<line>`, from the location nnc-gpu-prepare gave the
// op (NameLoc "<op>" around the source location), so that a driver error
// at run time can say which op of which line of the model failed (the
// runtime reads op and line back from the name), and a profile reads like
// the model.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace nnc {
#define GEN_PASS_DEF_GPUNAMEKERNELS
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// The op kind and the first source position inside `loc`.
void describe(Location loc, std::string &kind, FileLineColLoc &where) {
  loc->walk([&](Location l) {
    if (auto name = dyn_cast<NameLoc>(l); name && kind.empty())
      kind = name.getName().str();
    if (auto file = dyn_cast<FileLineColLoc>(l); file && !where)
      where = file;
    return WalkResult::advance();
  });
}

std::string sanitize(StringRef s) {
  std::string out;
  for (char c : s)
    out += llvm::isAlnum(c) ? c : '_';
  return out;
}

struct GpuNameKernels : nnc::impl::GpuNameKernelsBase<GpuNameKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SymbolTable symbols(module);
    llvm::StringMap<unsigned> counters;
    WalkResult result = module.walk([&](gpu::LaunchFuncOp launch) {
      auto kernelModule =
          symbols.lookup<gpu::GPUModuleOp>(launch.getKernelModuleName());
      if (!kernelModule)
        return WalkResult::advance();
      auto kernel = kernelModule.lookupSymbol<gpu::GPUFuncOp>(
          launch.getKernelName());
      if (!kernel)
        return WalkResult::advance();
      // One module per kernel (gpu-kernel-outlining's default); a module
      // launched twice keeps the name it got first.
      if (kernelModule->hasAttr("nnc.named"))
        return WalkResult::advance();
      auto entry = launch->getParentOfType<func::FuncOp>();
      std::string base = entry ? entry.getSymName().str() : "kernel";
      std::string kind;
      FileLineColLoc where;
      describe(launch.getLoc(), kind, where);
      if (kind.empty())
        kind = "op";
      std::string name = sanitize(base) + "_k" +
                         std::to_string(counters[base]++) + "_" +
                         sanitize(kind) +
                         (where ? "_l" + std::to_string(where.getLine()) : "");
      if (failed(symbols.rename(kernelModule, StringAttr::get(ctx, name))))
        return WalkResult::interrupt();
      SymbolTable inner(kernelModule);
      if (failed(inner.rename(kernel, StringAttr::get(ctx, name))))
        return WalkResult::interrupt();
      // rename() fixes the uses of the module; the nested reference's leaf
      // is the kernel, set here for every launch of it.
      auto ref = SymbolRefAttr::get(
          ctx, name, {FlatSymbolRefAttr::get(ctx, name)});
      module.walk([&](gpu::LaunchFuncOp l) {
        if (l.getKernelModuleName().getValue() == name)
          l.setKernelAttr(ref);
      });
      kernelModule->setAttr("nnc.named", UnitAttr::get(ctx));
      return WalkResult::advance();
    });
    if (result.wasInterrupted()) {
      module.emitError("nnc-gpu-name-kernels: cannot rename a kernel");
      return signalPassFailure();
    }
    module.walk([](gpu::GPUModuleOp m) { m->removeAttr("nnc.named"); });
  }
};
} // namespace
