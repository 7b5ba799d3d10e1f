//===- FuzzFrontend.cpp - .nn source to checked, differentiated IR --------===//
//
// What `nnc model.nn` does before code generation: parse, check names,
// blocks, arguments and shapes, import into the nnc dialect (verified),
// then the graph phase and the functions phase (inference entry, autodiff,
// optimizer). A fresh MLIRContext per input, diagnostics captured (never
// printed, never exit). A user error is fine; an "internal error"
// diagnostic, a pass failure without an error, or a module that does not
// verify after the passes is a bug: the target aborts, and libFuzzer
// keeps the input.
//
//===----------------------------------------------------------------------===//
#include "frontend/ImportGraph.h"
#include "ir/NncDialect.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "test/fuzz/FuzzSource.h"

#include <cstdio>
#include <cstdlib>

using namespace mlir;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  nnc::registerNncPasses();
  registerCanonicalizerPass();
  return 0;
}

[[noreturn]] static void bug(const std::string &what) {
  std::fprintf(stderr, "nnc frontend bug: %s\n", what.c_str());
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DialectRegistry registry;
  registry.insert<nnc::NncDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.disableMultithreading();
  int errors = 0;
  std::string internal;
  context.getDiagEngine().registerHandler([&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error) {
      ++errors;
      std::string text = d.str();
      if (text.find("internal error") != std::string::npos)
        internal = text;
    }
    return success();
  });
  llvm::SourceMgr sourceMgr;
  unsigned id = nnc::fuzz::addSource(sourceMgr, data, size);
  OwningOpRef<ModuleOp> module = nnc::importModel(sourceMgr, id, &context);
  if (!internal.empty())
    bug(internal);
  if (!module)
    return 0;
  PassManager pm(&context);
  pm.enableVerifier(false); // checked below: a pass's bad IR is a bug
  nnc::buildGraphPipeline(pm, nnc::PipelineOptions{});
  if (failed(parsePassPipeline(
          "nnc-build-inference, nnc-autodiff, nnc-optimizer", pm)))
    bug("the functions pipeline does not parse");
  errors = 0;
  LogicalResult ran = pm.run(*module);
  if (!internal.empty())
    bug(internal);
  if (failed(ran) && errors == 0)
    bug("a pass failed without an error");
  if (succeeded(ran) && failed(verify(*module)))
    bug("the module does not verify after the passes");
  return 0;
}
