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
#include "llvm/ADT/DenseMap.h"

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
    // Names by kernel module (one kernel each, gpu-kernel-outlining's
    // default), from the first launch of it.
    llvm::DenseMap<Operation *, StringAttr> names;
    llvm::StringMap<unsigned> counters;
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto kernelModule =
          symbols.lookup<gpu::GPUModuleOp>(launch.getKernelModuleName());
      if (!kernelModule || names.count(kernelModule))
        return;
      auto entry = launch->getParentOfType<func::FuncOp>();
      std::string base = entry ? entry.getSymName().str() : "kernel";
      std::string kind;
      FileLineColLoc where;
      describe(launch.getLoc(), kind, where);
      std::string name = sanitize(base) + "_k" +
                         std::to_string(counters[base]++) + "_" +
                         sanitize(kind.empty() ? "op" : kind) +
                         (where ? "_l" + std::to_string(where.getLine()) : "");
      names[kernelModule] = StringAttr::get(ctx, name);
    });
    // Each module and its kernel get the name, then every launch of them.
    llvm::StringMap<SymbolRefAttr> refs;
    for (auto [op, name] : names) {
      auto kernelModule = cast<gpu::GPUModuleOp>(op);
      std::string oldModule = kernelModule.getSymName().str();
      auto kernels = kernelModule.getOps<gpu::GPUFuncOp>();
      if (kernels.empty())
        continue;
      SymbolTable::setSymbolName(*kernels.begin(), name);
      kernelModule.setSymName(name);
      refs[oldModule] = SymbolRefAttr::get(name, {FlatSymbolRefAttr::get(name)});
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = refs.find(launch.getKernelModuleName().getValue());
      if (it != refs.end())
        launch.setKernelAttr(it->second);
    });
  }
};
} // namespace
