//===- nnc.cpp - the nnc compiler driver ----------------------------------===//
//
// nnc MODEL.nn [-o OUT] [--emit=KIND] [--target=cpu|cuda] [-O0..-O3] ...
//
// Exit status: 0 on success, 1 on errors in the input, 2 on bad usage. An
// output file is written through a temporary and only kept on success.
//
//===----------------------------------------------------------------------===//
#include "frontend/ImportGraph.h"
#include "passes/Pipelines.h"
#include "tools/InitAll.h"
#include "tools/nnc/EmitDot.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class Emit { Exe, Obj, Header, Lib, Nn, Grad, Linalg, Llvm, Asm, Ptx, Dot };

cl::OptionCategory nncCategory("nnc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.nn>"),
                               cl::Required, cl::cat(nncCategory));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout "
                                              "for text, the model's name "
                                              "for files)"),
                                cl::value_desc("path"), cl::cat(nncCategory));
cl::opt<Emit> emit(
    "emit", cl::desc("What to produce:"), cl::init(Emit::Exe),
    cl::values(
        clEnumValN(Emit::Exe, "exe", "a standalone executable (default)"),
        clEnumValN(Emit::Obj, "obj", "an object file with the C ABI"),
        clEnumValN(Emit::Header, "header", "the C header of that ABI"),
        clEnumValN(Emit::Lib, "lib", "a shared library with the C ABI"),
        clEnumValN(Emit::Nn, "nn", "the graph IR after shape inference"),
        clEnumValN(Emit::Grad, "grad",
                   "the graph IR after automatic differentiation"),
        clEnumValN(Emit::Linalg, "linalg", "the IR lowered to linalg"),
        clEnumValN(Emit::Llvm, "llvm", "LLVM IR"),
        clEnumValN(Emit::Asm, "asm", "assembly for the target"),
        clEnumValN(Emit::Ptx, "ptx", "PTX (with --target=cuda)"),
        clEnumValN(Emit::Dot, "dot", "the forward graph as Graphviz DOT")),
    cl::cat(nncCategory));
cl::opt<std::string> target("target", cl::desc("cpu (default) or cuda"),
                            cl::init("cpu"), cl::cat(nncCategory));
cl::opt<unsigned> optLevel(
    "O", cl::desc("Optimization level 0-3 (default 2)"), cl::Prefix,
    cl::init(2), cl::cat(nncCategory));
cl::opt<bool> printIrAfterAll("print-ir-after-all",
                              cl::desc("Print the IR after every pass"),
                              cl::cat(nncCategory));
cl::list<std::string> printIrAfter(
    "print-ir-after", cl::desc("Print the IR after the named pass"),
    cl::value_desc("pass"), cl::cat(nncCategory));
cl::opt<bool> timing("timing", cl::desc("Print how long each phase took"),
                     cl::cat(nncCategory));

/// Where a phase's result goes: stdout or a file kept only on success.
std::unique_ptr<llvm::ToolOutputFile> openOutput(StringRef path) {
  std::string error;
  auto file = openOutputFile(path.empty() ? "-" : path, &error);
  if (!file)
    llvm::errs() << "nnc: error: " << error << "\n";
  return file;
}

int run(MLIRContext &context, llvm::SourceMgr &sourceMgr,
        DefaultTimingManager &tm) {
  TimingScope root = tm.getRootScope();
  OwningOpRef<ModuleOp> module;
  {
    TimingScope parse = root.nest("parse and check");
    module = nnc::importModel(sourceMgr, sourceMgr.getMainFileID(), &context);
  }
  if (!module)
    return 1;

  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return 2;
  TimingScope graphTiming = root.nest("graph");
  pm.enableTiming(graphTiming);
  if (printIrAfterAll || !printIrAfter.empty()) {
    context.disableMultithreading(); // printing the module needs it
    pm.enableIRPrinting(
        /*shouldPrintBeforePass=*/[](Pass *, Operation *) { return false; },
        /*shouldPrintAfterPass=*/
        [](Pass *pass, Operation *) {
          return printIrAfterAll ||
                 llvm::is_contained(printIrAfter, pass->getArgument());
        },
        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
  }
  nnc::PipelineOptions options;
  options.optLevel = optLevel;
  nnc::buildGraphPipeline(pm, options);
  if (failed(pm.run(*module)))
    return 1;

  switch (emit) {
  case Emit::Nn:
  case Emit::Dot: {
    TimingScope out = root.nest("output");
    auto file = openOutput(outputFile);
    if (!file)
      return 1;
    if (emit == Emit::Nn)
      module->print(file->os());
    else
      nnc::emitDot(*module, file->os());
    file->keep();
    return 0;
  }
  default:
    static const char *names[] = {"exe",    "obj",  "header", "lib",
                                  "nn",     "grad", "linalg", "llvm",
                                  "asm",    "ptx",  "dot"};
    llvm::errs() << "nnc: error: --emit=" << names[(int)emit.getValue()]
                 << " is not available yet in this version of nnc; "
                    "available: --emit=nn, --emit=dot\n";
    return 2;
  }
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions(nncCategory);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "nnc " << NNC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  const char *overview =
      "nnc: compiles a .nn model into an executable, an object file with a "
      "C header, or IR.\n\n"
      "  nnc model.nn -o model        build ./model (train, eval, predict)\n"
      "  nnc model.nn --emit=nn       print the checked graph IR\n\n"
      "Exit status: 0 on success, 1 on errors in the input, 2 on bad "
      "usage.\nMLIR's own flags (--mlir-print-ir-after-all, --mlir-timing, "
      "...) also work: see --help-hidden.\n";
  if (!cl::ParseCommandLineOptions(argc, argv, overview, &llvm::errs()))
    return 2;
  if (target != "cpu" && target != "cuda") {
    llvm::errs() << "nnc: error: --target must be cpu or cuda, got '"
                 << target << "'\n";
    return 2;
  }
  if (optLevel > 3) {
    llvm::errs() << "nnc: error: -O takes 0 to 3, got " << optLevel << "\n";
    return 2;
  }

  DialectRegistry registry;
  nnc::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  auto buffer = openInputFile(inputFile, &error);
  if (!buffer) {
    llvm::errs() << "nnc: error: cannot read '" << inputFile << "': " << error
                 << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);

  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  if (timing)
    tm.setEnabled(true);
  return run(context, sourceMgr, tm);
}
