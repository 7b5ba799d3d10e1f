//===- nnc.cpp - the nnc compiler driver ----------------------------------===//
//
// nnc MODEL.nn [-o OUT] [--emit=KIND] [--target=cpu|cuda] [--gpu-arch=sm_80|sm_90]
//              [-O0..-O3] ...
//
// Exit status: 0 on success, 1 on errors in the input, 2 on bad usage. An
// output file is written through a temporary and only kept on success.
//
//===----------------------------------------------------------------------===//
#include "codegen/CpuPipeline.h"
#include "codegen/Emit.h"
#include "frontend/ImportGraph.h"
#include "passes/Pipelines.h"
#include "passes/Summary.h"
#include "tools/InitAll.h"
#include "tools/nnc/EmitDot.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class Emit { Exe, Obj, Header, Lib, Nn, Grad, Summary, Linalg, Llvm, Asm, Ptx, Dot };

cl::OptionCategory nncCategory("nnc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.nn>"),
                               cl::Required, cl::cat(nncCategory));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout "
                                              "for text, the model's name "
                                              "for files)"),
                                cl::value_desc("path"), cl::cat(nncCategory));
cl::list<Emit> emitKinds(
    "emit", cl::desc("What to produce (obj and header may be combined: "
                     "--emit=obj,header):"),
    cl::CommaSeparated,
    cl::values(
        clEnumValN(Emit::Exe, "exe", "a standalone executable: ./model train|eval|predict|summary (default)"),
        clEnumValN(Emit::Obj, "obj", "an object file with the C ABI"),
        clEnumValN(Emit::Header, "header", "the C header of that ABI"),
        clEnumValN(Emit::Lib, "lib", "a shared library with the C ABI"),
        clEnumValN(Emit::Nn, "nn", "the graph IR after shape inference"),
        clEnumValN(Emit::Grad, "grad",
                   "the graph IR with the loss's gradients"),
        clEnumValN(Emit::Linalg, "linalg", "the IR lowered to linalg"),
        clEnumValN(Emit::Llvm, "llvm", "LLVM IR"),
        clEnumValN(Emit::Asm, "asm", "assembly for the target"),
        clEnumValN(Emit::Ptx, "ptx", "the kernels' PTX (with --target=cuda)"),
        clEnumValN(Emit::Dot, "dot", "the forward graph as Graphviz DOT"),
        clEnumValN(Emit::Summary, "summary",
                   "a report: per layer parameters, FLOPs of a training step, "
                   "activations kept for backward; peak memory")),
    cl::cat(nncCategory));
cl::opt<std::string> target(
    "target",
    cl::desc("cpu (default), or cuda: kernels for an NVIDIA GPU (PTX) and "
             "host code for the CPU"),
    cl::init("cpu"), cl::cat(nncCategory));
cl::opt<std::string> gpuArch(
    "gpu-arch", cl::desc("With --target=cuda: the GPU architecture, sm_80 "
                         "or sm_90 (default)"),
    cl::init("sm_90"), cl::cat(nncCategory));
cl::opt<bool> gpuEmulate(
    "gpu-emulate",
    cl::desc("Tests only, with --target=cuda: lower as for the GPU up to the "
             "kernels' mapping, then run the kernels as loops on the CPU"),
    cl::Hidden, cl::cat(nncCategory));
cl::opt<std::string> targetCpu(
    "mcpu", cl::desc("The CPU to generate code for (default: native, the "
                     "host's; e.g. x86-64-v3, skylake-avx512)"),
    cl::init("native"), cl::cat(nncCategory));
cl::opt<unsigned> optLevel(
    "O", cl::desc("Optimization level 0-3 (default 2)"), cl::Prefix,
    cl::init(2), cl::cat(nncCategory));
cl::opt<std::string> winograd(
    "winograd",
    cl::desc("3 x 3 stride-1 convolutions on the CPU: auto (default; "
             "Winograd F(4 x 4, 3 x 3) or F(2 x 2, 3 x 3) where they pay), "
             "2x2 (F(2 x 2) only: less rounding error), or off "
             "(direct convolutions)"),
    cl::init("auto"), cl::cat(nncCategory));
cl::opt<bool> printIrAfterAll("print-ir-after-all",
                              cl::desc("Print the IR after every pass"),
                              cl::cat(nncCategory));
cl::list<std::string> printIrAfter(
    "print-ir-after", cl::desc("Print the IR after the named pass"),
    cl::value_desc("pass"), cl::cat(nncCategory));
cl::opt<std::string> distributed(
    "distributed",
    cl::desc("mpi: an executable that trains data-parallel under mpirun "
             "(or srun): each process takes its share of every batch and "
             "the gradients are summed over MPI; without a launcher it "
             "runs as one process"),
    cl::value_desc("mpi"), cl::cat(nncCategory));
cl::opt<int64_t> bucketKb(
    "bucket-kb",
    cl::desc("With --distributed: gradients all-reduced together, in KiB "
             "(default 1024)"),
    cl::init(1024), cl::Hidden, cl::cat(nncCategory));
cl::opt<bool> timing("timing", cl::desc("Print how long each phase took"),
                     cl::cat(nncCategory));

/// What --distributed=mpi links besides the runtime: the MPI libraries
/// CMake found when nnc was built.
std::vector<std::string> mpiLibraries() {
  std::vector<std::string> libraries;
  if (distributed.empty())
    return libraries;
#ifdef NNC_MPI_LIBRARIES
  llvm::SmallVector<StringRef> parts;
  StringRef(NNC_MPI_LIBRARIES).split(parts, '|', -1, false);
  for (StringRef part : parts)
    libraries.push_back(part.str());
#endif
  return libraries;
}

const char *emitName(Emit kind) {
  static const char *names[] = {"exe", "obj", "header", "lib", "nn",   "grad", "summary",
                                "linalg", "llvm", "asm", "ptx", "dot"};
  return names[(int)kind];
}

/// Where a text phase's result goes: stdout or a file kept only on success.
std::unique_ptr<llvm::ToolOutputFile> openOutput(StringRef path) {
  std::string error;
  auto file = openOutputFile(path.empty() ? "-" : path, &error);
  if (!file)
    llvm::errs() << "nnc: error: " << error << "\n";
  return file;
}

/// Writes a file atomically: `write` fills a temporary beside `path`, which
/// is renamed over `path` only if it succeeded.
bool writeAtomically(StringRef path,
                     llvm::function_ref<bool(StringRef temp)> write) {
  std::string temp =
      (path + ".tmp" + std::to_string(llvm::sys::Process::getProcessId()))
          .str();
  if (!write(temp)) {
    llvm::sys::fs::remove(temp);
    return false;
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::errs() << "nnc: error: cannot write '" << path
                 << "': " << ec.message() << "\n";
    llvm::sys::fs::remove(temp);
    return false;
  }
  return true;
}

/// Runs a phase's passes with the driver's printing and timing settings.
LogicalResult runPhase(MLIRContext &context, ModuleOp module,
                       TimingScope &parent, StringRef name,
                       llvm::function_ref<LogicalResult(OpPassManager &)>
                           build) {
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  TimingScope timing = parent.nest(name);
  pm.enableTiming(timing);
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
  if (failed(build(pm)))
    return failure();
  return pm.run(module);
}

bool has(Emit kind) { return llvm::is_contained(emitKinds, kind); }

/// The output path of a file kind: -o for a single kind, else the model's
/// name (or -o without its extension) with the kind's extension.
std::string outputPath(Emit kind, StringRef model) {
  if (!outputFile.empty() && emitKinds.size() == 1)
    return outputFile;
  std::string base = outputFile.empty() ? model.str() : outputFile.getValue();
  StringRef ext = llvm::sys::path::extension(base);
  if (ext == ".o" || ext == ".h")
    base = base.substr(0, base.size() - 2);
  switch (kind) {
  case Emit::Obj: return base + ".o";
  case Emit::Header: return base + ".h";
  case Emit::Lib: return outputFile.empty() ? "lib" + base + ".so" : base;
  default: return base;
  }
}

std::string runtimeDirectory(const char *argv0) {
  std::string exe = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&runtimeDirectory));
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(dir, "..", "lib");
  return std::string(dir);
}

int run(MLIRContext &context, llvm::SourceMgr &sourceMgr,
        DefaultTimingManager &tm, const char *argv0) {
  TimingScope root = tm.getRootScope();
  OwningOpRef<ModuleOp> module;
  {
    TimingScope parse = root.nest("parse and check");
    module = nnc::importModel(sourceMgr, sourceMgr.getMainFileID(), &context);
  }
  if (!module)
    return 1;
  StringRef model =
      (*module)->getAttrOfType<StringAttr>(nnc::kModelAttr).getValue();

  nnc::PipelineOptions graphOptions;
  graphOptions.optLevel = optLevel;
  if (failed(runPhase(context, *module, root, "graph", [&](OpPassManager &pm) {
        nnc::buildGraphPipeline(pm, graphOptions);
        return success();
      })))
    return 1;

  auto printText = [&](llvm::function_ref<void(llvm::raw_ostream &)> print) {
    TimingScope out = root.nest("output");
    auto file = openOutput(outputFile);
    if (!file)
      return 1;
    print(file->os());
    file->keep();
    return 0;
  };
  if (has(Emit::Nn))
    return printText([&](llvm::raw_ostream &os) { module->print(os); });
  if (has(Emit::Dot))
    return printText(
        [&](llvm::raw_ostream &os) { nnc::emitDot(*module, os); });

  nnc::CodegenOptions codegen;
  codegen.optLevel = optLevel;
  codegen.targetCpu = targetCpu;
  codegen.program = has(Emit::Exe);
  // The executable trains with train_step: gradients would be dead code.
  codegen.gradientsEntry = !has(Emit::Exe);
  codegen.requireLoss = has(Emit::Grad);
  codegen.distributed = !distributed.empty();
  codegen.bucketBytes = bucketKb * 1024;
  codegen.cuda = target == "cuda";
  codegen.gpuArch = gpuArch;
  codegen.gpuEmulate = gpuEmulate;
  codegen.winogradTile = winograd == "auto" ? 4 : winograd == "2x2" ? 2 : 0;
  nnc::resolveTarget(codegen);
  if (failed(runPhase(context, *module, root, "functions",
                      [&](OpPassManager &pm) {
                        return nnc::buildFunctionsPipeline(pm, codegen);
                      })))
    return 1;
  if (has(Emit::Grad))
    return printText([&](llvm::raw_ostream &os) { module->print(os); });
  if (has(Emit::Summary)) {
    bool ok = true;
    int status = printText([&](llvm::raw_ostream &os) {
      ok = succeeded(nnc::printTrainingSummary(*module, os));
    });
    return ok ? status : 1;
  }
  if (failed(runPhase(context, *module, root, "linalg",
                      [&](OpPassManager &pm) {
                        return nnc::buildLinalgPipeline(pm, codegen);
                      })))
    return 1;
  if (has(Emit::Linalg))
    return printText([&](llvm::raw_ostream &os) { module->print(os); });

  if (has(Emit::Header)) {
    auto description =
        (*module)->getAttrOfType<StringAttr>("nnc.description").getValue();
    bool ok = writeAtomically(outputPath(Emit::Header, model),
                              [&](StringRef temp) {
      std::error_code ec;
      llvm::raw_fd_ostream os(temp, ec);
      return !ec && succeeded(nnc::emitHeader(description, os));
    });
    if (!ok)
      return 1;
    if (emitKinds.size() == 1)
      return 0;
  }

  {
    // MLIR's NVVM serializer reports a missing CUDA libdevice as an error
    // for every kernel module, needed or not, and goes on. f32 kernels never
    // call it (nnc-approximate-math{gpu=1}); checkPtx reports a kernel that
    // does. So these reports are dropped here.
    ScopedDiagnosticHandler libdevice(&context, [](Diagnostic &d) {
      return success(StringRef(d.str()).starts_with("LibDevice path:"));
    });
    if (failed(runPhase(context, *module, root, "lower to LLVM",
                        [&](OpPassManager &pm) {
                          return nnc::buildLoweringPipeline(pm, codegen);
                        })))
      return 1;
  }
  if (codegen.cuda && failed(nnc::checkPtx(*module)))
    return 1;
  if (has(Emit::Ptx))
    return printText([&](llvm::raw_ostream &os) { nnc::emitPtx(*module, os); });
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      nnc::createTargetMachine(codegen, error);
  if (!machine) {
    llvm::errs() << "nnc: error: " << error << "\n";
    return 1;
  }
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
  if (has(Emit::Llvm) || has(Emit::Asm)) {
    {
      TimingScope t = root.nest("LLVM optimization");
      llvmModule = nnc::translateAndOptimize(*module, llvmContext, *machine,
                                             codegen);
    }
    if (!llvmModule)
      return 1;
    if (has(Emit::Llvm))
      return printText(
          [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); });
    TimingScope machineTiming = root.nest("machine code");
    auto file = openOutput(outputFile);
    if (!file || failed(nnc::emitMachineCode(*llvmModule, *machine,
                                             /*assembly=*/true, file->os())))
      return 1;
    file->keep();
    return 0;
  }

  // Files: the model's objects (LLVM's optimizations and code generation
  // in parts, on one thread per core: nnc::emitObjects), then linked with
  // the runtime.
  {
    TimingScope t = root.nest("translation to LLVM IR");
    llvmModule = nnc::translate(*module, llvmContext, *machine);
  }
  if (!llvmModule)
    return 1;
  std::vector<llvm::SmallVector<char, 0>> images;
  {
    TimingScope t = root.nest("LLVM optimization and machine code");
    std::string error =
        nnc::emitObjects(std::move(llvmModule), codegen, model, images);
    if (!error.empty()) {
      llvm::errs() << "nnc: error: " << error << "\n";
      return 1;
    }
  }
  // The linker reads files: one temporary object per part.
  std::vector<std::string> objects;
  auto removeObjects = llvm::make_scope_exit([&] {
    for (const std::string &o : objects)
      llvm::sys::fs::remove(o);
  });
  for (const llvm::SmallVector<char, 0> &image : images) {
    llvm::SmallString<128> path;
    int fd;
    if (llvm::sys::fs::createTemporaryFile("nnc-" + model, "o", fd, path)) {
      llvm::errs() << "nnc: error: cannot create a temporary file\n";
      return 1;
    }
    objects.push_back(path.str().str());
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(image.data(), image.size());
    if (os.has_error()) {
      llvm::errs() << "nnc: error: cannot write " << path << "\n";
      return 1;
    }
  }
  TimingScope linkTiming = root.nest("link");
  std::string runtimeDir = runtimeDirectory(argv0);
  int status = 0;
  for (Emit kind : emitKinds) {
    if (kind == Emit::Header)
      continue;
    nnc::LinkKind linkKind = kind == Emit::Obj   ? nnc::LinkKind::Relocatable
                             : kind == Emit::Lib ? nnc::LinkKind::SharedLibrary
                                                 : nnc::LinkKind::Executable;
    bool ok = writeAtomically(outputPath(kind, model), [&](StringRef temp) {
      std::string linkError = nnc::link(linkKind, objects, temp, runtimeDir,
                                        mpiLibraries());
      if (!linkError.empty())
        llvm::errs() << "nnc: error: " << linkError << "\n";
      return linkError.empty();
    });
    if (!ok)
      status = 1;
  }
  return status;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  nnc::registerAllPasses();
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
      "  nnc model.nn -o model                an executable; ./model train\n"
      "  nnc model.nn --emit=nn               print the checked graph IR\n"
      "  nnc model.nn --emit=obj,header -o m  m.o + m.h to link into C\n"
      "  nnc model.nn --emit=lib              libMODEL.so with the C ABI\n\n"
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
  if (winograd != "auto" && winograd != "2x2" && winograd != "off") {
    llvm::errs() << "nnc: error: --winograd must be auto, 2x2 or off, got '"
                 << winograd << "'\n";
    return 2;
  }
  if (optLevel > 3) {
    llvm::errs() << "nnc: error: -O takes 0 to 3, got " << optLevel << "\n";
    return 2;
  }
  if (emitKinds.empty())
    emitKinds.push_back(Emit::Exe);
  for (Emit kind : emitKinds) {
    if (kind == Emit::Ptx && target != "cuda") {
      llvm::errs() << "nnc: error: --emit=ptx needs --target=cuda\n";
      return 2;
    }
    bool file = kind == Emit::Obj || kind == Emit::Header ||
                kind == Emit::Lib || kind == Emit::Exe;
    if (emitKinds.size() > 1 && !file) {
      llvm::errs() << "nnc: error: --emit=" << emitName(kind)
                   << " cannot be combined with other kinds\n";
      return 2;
    }
  }
  if (!distributed.empty()) {
    if (distributed != "mpi") {
      llvm::errs() << "nnc: error: --distributed takes mpi, got '"
                   << distributed << "'\n";
      return 2;
    }
#ifndef NNC_MPI_LIBRARIES
    llvm::errs() << "nnc: error: --distributed=mpi: this nnc was built "
                    "without MPI (install libopenmpi-dev, e.g. with "
                    "scripts/install-deps.sh, and build it again)\n";
    return 2;
#endif
    if (target != "cpu") {
      llvm::errs() << "nnc: error: --distributed=mpi trains on the CPU "
                      "only (not with --target=" << target << ")\n";
      return 2;
    }
    for (Emit kind : emitKinds)
      if (kind == Emit::Obj || kind == Emit::Header || kind == Emit::Lib) {
        llvm::errs() << "nnc: error: --distributed=mpi builds executables "
                        "(--emit=exe), not --emit="
                     << emitName(kind) << "\n";
        return 2;
      }
    if (bucketKb < 1) {
      llvm::errs() << "nnc: error: --bucket-kb must be positive\n";
      return 2;
    }
  }
  if (gpuArch != "sm_80" && gpuArch != "sm_90") {
    llvm::errs() << "nnc: error: --gpu-arch must be sm_80 or sm_90, got '"
                 << gpuArch << "'\n";
    return 2;
  }
  if ((gpuArch.getNumOccurrences() || gpuEmulate) && target != "cuda") {
    llvm::errs() << "nnc: error: --gpu-arch and --gpu-emulate need "
                    "--target=cuda\n";
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
  return run(context, sourceMgr, tm, argv[0]);
}
