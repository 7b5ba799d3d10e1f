//===- Emit.cpp - LLVM IR, machine code, header and linking ---------------===//
#include "codegen/Emit.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include "codegen/LinkCommands.inc"

#include <algorithm>
#include <atomic>
#include <thread>

using namespace mlir;

std::unique_ptr<llvm::TargetMachine>
nnc::createTargetMachine(const CodegenOptions &options, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();
  std::string triple = llvm::sys::getDefaultTargetTriple();
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.targetCpu;
  std::string features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (auto &f : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") +
                  std::string(f.second ? "+" : "-") + f.first().str();
  }
  llvm::TargetOptions targetOptions;
  auto level = options.optLevel == 0   ? llvm::CodeGenOptLevel::None
               : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                       : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      level));
  if (!tm)
    error = "cannot create a target machine for " + triple + " / " + cpu;
  return tm;
}

void nnc::resolveTarget(CodegenOptions &options) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  const llvm::MCSubtargetInfo *info = tm ? tm->getMCSubtargetInfo() : nullptr;
  options.vectorBits = info && info->checkFeatures("+avx512f")  ? 512
                       : info && info->checkFeatures("+avx2") ? 256
                                                              : 128;
}

/// LLVM's default pipeline at `optLevel`, less its loop and SLP
/// vectorizers: the code MLIR hands over is already tiled and vectorized
/// to the register tiles, and those passes cost much of LLVM's time on it
/// while finding little left to do. Loop unrolling stays: the short loops
/// that read a strided column of a register tile need it (without it the
/// MLP's step is ~12% slower).
void nnc::optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                         unsigned optLevel) {
  if (optLevel == 0)
    return;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = false;
  tuning.SLPVectorization = false;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 1   ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

/// `__kmpc_fork_call_if(loc, n, body, cond, args)` with `cond` false runs
/// `body` on the calling thread in a serialized team of one, which costs
/// libomp a team set-up and tear-down per call (~5% of a batch-1 predict
/// of examples/mlp.nn, which makes 5 such calls). nnc-parallel-to-openmp's
/// bodies need no team when they do not fork (they take thread 0 of 1
/// themselves then, and make no other OpenMP calls), so the call becomes
/// `if (cond) __kmpc_fork_call_if(...) else body(&zero, &zero, args)`
/// (a call that is not inlined).
/// Bodies that call into the OpenMP runtime (other than the thread
/// queries) are left as they are.
static void callSerialBodiesDirectly(llvm::Module &module) {
  llvm::Function *forkIf = module.getFunction("__kmpc_fork_call_if");
  if (!forkIf)
    return;
  auto needsTeam = [](llvm::Function &body) {
    if (body.arg_size() != 3)
      return true;
    for (llvm::Instruction &inst : llvm::instructions(body))
      if (auto *call = llvm::dyn_cast<llvm::CallBase>(&inst)) {
        llvm::Function *callee = call->getCalledFunction();
        if (!callee)
          return true;
        llvm::StringRef name = callee->getName();
        if ((name.starts_with("__kmpc") || name.starts_with("omp_")) &&
            name != "omp_get_thread_num" && name != "omp_get_num_threads")
          return true;
      }
    return false;
  };
  llvm::SmallVector<llvm::CallInst *> calls;
  for (llvm::User *user : forkIf->users())
    if (auto *call = llvm::dyn_cast<llvm::CallInst>(user))
      if (call->getCalledFunction() == forkIf && call->arg_size() == 5)
        if (auto *body = llvm::dyn_cast<llvm::Function>(call->getArgOperand(2)))
          if (!body->isDeclaration() && !needsTeam(*body))
            calls.push_back(call);
  for (llvm::CallInst *call : calls) {
    auto *body = llvm::cast<llvm::Function>(call->getArgOperand(2));
    llvm::Value *cond = call->getArgOperand(3);
    llvm::Instruction *thenTerm, *elseTerm;
    llvm::IRBuilder<> b(call);
    llvm::Value *isTrue =
        b.CreateICmpNE(cond, llvm::ConstantInt::get(cond->getType(), 0));
    llvm::SplitBlockAndInsertIfThenElse(isTrue, call, &thenTerm, &elseTerm);
    call->moveBefore(thenTerm);
    b.SetInsertPoint(elseTerm);
    llvm::Function *caller = call->getFunction();
    llvm::IRBuilder<> entry(&*caller->getEntryBlock().getFirstInsertionPt());
    llvm::Value *zero = entry.CreateAlloca(entry.getInt32Ty());
    entry.CreateStore(entry.getInt32(0), zero);
    // Not inlined there: a second copy of each body would cost compile
    // time (cnn: ~5% more CPU in LLVM) for no speed.
    llvm::CallInst *direct = b.CreateCall(
        body->getFunctionType(), body, {zero, zero, call->getArgOperand(4)});
    direct->addFnAttr(llvm::Attribute::NoInline);
  }
}

std::unique_ptr<llvm::Module> nnc::translate(ModuleOp module,
                                             llvm::LLVMContext &context,
                                             llvm::TargetMachine &tm) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule) {
    module.emitError("internal error: translation to LLVM IR failed");
    return nullptr;
  }
  llvmModule->setDataLayout(tm.createDataLayout());
  llvmModule->setTargetTriple(tm.getTargetTriple().str());
  callSerialBodiesDirectly(*llvmModule);
  return llvmModule;
}

std::string nnc::emitObjects(std::unique_ptr<llvm::Module> module,
                             const CodegenOptions &options,
                             llvm::StringRef symbolPrefix,
                             std::vector<llvm::SmallVector<char, 0>> &objects,
                             unsigned threads) {
  if (threads == 0)
    threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  // Parts as bitcode: each thread reads its own into its own context (an
  // LLVMContext is not shared between threads).
  std::vector<llvm::SmallVector<char, 0>> parts;
  auto keep = [&](std::unique_ptr<llvm::Module> part) {
    parts.emplace_back();
    llvm::raw_svector_ostream os(parts.back());
    llvm::WriteBitcodeToFile(*part, os);
  };
  // Twice as many parts as threads, taken in turn: the parts differ in
  // size, and the threads stay busy to the end (cnn, mlp: LLVM's phase
  // 3-7% shorter than with one part per thread; 8 parts were slower).
  if (threads > 1) {
    unsigned count = 0;
    for (llvm::GlobalVariable &g : module->globals())
      if (g.hasLocalLinkage()) {
        g.setName(symbolPrefix + "." + std::to_string(count++) + "." +
                  g.getName());
        g.setLinkage(llvm::GlobalValue::ExternalLinkage);
        g.setVisibility(llvm::GlobalValue::HiddenVisibility);
      }
    // Likewise a local function used by more than one function (a kernel
    // that several entry points share, nnc-outline-kernels): it goes to one
    // part, callable from the others. A local function with one user (an
    // OpenMP body, a kernel of one entry point) stays with it.
    for (llvm::Function &f : module->functions()) {
      if (!f.hasLocalLinkage())
        continue;
      llvm::SmallPtrSet<const llvm::Function *, 4> users;
      for (const llvm::User *u : f.users()) {
        auto *inst = llvm::dyn_cast<llvm::Instruction>(u);
        users.insert(inst ? inst->getFunction() : nullptr);
      }
      if (users.size() > 1 || users.contains(nullptr)) {
        f.setName(symbolPrefix + "." + f.getName());
        f.setLinkage(llvm::GlobalValue::ExternalLinkage);
        f.setVisibility(llvm::GlobalValue::HiddenVisibility);
      }
    }
    llvm::SplitModule(*module, 2 * threads, keep, /*PreserveLocals=*/true,
                      /*RoundRobin=*/true);
  } else {
    keep(std::move(module));
  }
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string error;
    machines.push_back(createTargetMachine(options, error));
    if (!machines.back())
      return error;
  }
  objects.assign(parts.size(), {});
  std::vector<std::string> errors(parts.size());
  auto compile = [&](size_t i) {
    llvm::LLVMContext context;
    auto part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(llvm::StringRef(parts[i].data(), parts[i].size()),
                              "part"),
        context);
    if (!part) {
      errors[i] = "internal error: " + llvm::toString(part.takeError());
      return;
    }
    optimizeModule(**part, *machines[i], options.optLevel);
    llvm::raw_svector_ostream os(objects[i]);
    if (failed(emitMachineCode(**part, *machines[i], false, os)))
      errors[i] = "internal error: no machine code for this target";
  };
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < parts.size();)
      compile(i);
  };
  std::vector<std::thread> workers;
  for (size_t i = 1; i < std::min<size_t>(threads, parts.size()); ++i)
    workers.emplace_back(work);
  work();
  for (std::thread &w : workers)
    w.join();
  for (const std::string &e : errors)
    if (!e.empty())
      return e;
  return "";
}

std::unique_ptr<llvm::Module>
nnc::translateAndOptimize(ModuleOp module, llvm::LLVMContext &context,
                          llvm::TargetMachine &tm,
                          const CodegenOptions &options) {
  std::unique_ptr<llvm::Module> llvmModule = translate(module, context, tm);
  if (llvmModule)
    optimizeModule(*llvmModule, tm, options.optLevel);
  return llvmModule;
}

LogicalResult nnc::emitMachineCode(llvm::Module &module,
                                   llvm::TargetMachine &tm, bool assembly,
                                   llvm::raw_pwrite_stream &os) {
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             assembly ? llvm::CodeGenFileType::AssemblyFile
                                      : llvm::CodeGenFileType::ObjectFile))
    return failure();
  pm.run(module);
  return success();
}

LogicalResult nnc::checkPtx(ModuleOp module) {
  WalkResult result = module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects()) {
      StringRef text = cast<gpu::ObjectAttr>(attr).getObject().getValue();
      size_t at = text.find(".extern .func");
      if (at == StringRef::npos)
        continue;
      StringRef line = text.substr(at).take_until([](char c) {
        return c == '\n';
      });
      binary.emitError("kernel ")
          << binary.getSymName() << " calls a function that is not linked ("
          << line.trim()
          << "): f64 math on the GPU needs CUDA's libdevice; install the "
             "CUDA toolkit (or set CUDA_HOME) and compile again";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

void nnc::emitPtx(ModuleOp module, llvm::raw_ostream &os) {
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      StringRef text = object.getObject().getValue();
      // The object holds the PTX as a C string: its NUL is not text.
      text = text.take_until([](char c) { return c == '\0'; });
      os << "// nnc kernel module " << binary.getSymName() << " ("
         << object.getTarget() << ")\n"
         << text << "\n";
    }
  });
}

//===----------------------------------------------------------------------===//
// The C header
//===----------------------------------------------------------------------===//

static const char kRuntimeHeader[] =
#include "codegen/RuntimeHeader.inc"
    ;

static std::string cType(llvm::StringRef dtype) {
  return dtype == "f64" ? "double" : dtype == "i32" ? "int32_t" : "float";
}

static std::string shapeText(const llvm::json::Array &shape) {
  std::string out = "[";
  for (const llvm::json::Value &d : shape) {
    if (out.size() > 1)
      out += ", ";
    int64_t v = *d.getAsInteger();
    out += v < 0 ? "batch" : std::to_string(v);
  }
  return out + "]";
}

LogicalResult nnc::emitHeader(llvm::StringRef description,
                              llvm::raw_ostream &os) {
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(description);
  if (!parsed) {
    llvm::consumeError(parsed.takeError());
    return failure();
  }
  const llvm::json::Object &d = *parsed->getAsObject();
  std::string model = d.getString("model")->str();
  std::string guard = "NNC_MODEL_" + llvm::StringRef(model).upper() + "_H";
  const llvm::json::Array &inputs = *d.getArray("inputs");
  const llvm::json::Array &outputs = *d.getArray("outputs");
  const llvm::json::Array &variables = *d.getArray("variables");

  os << "/* " << model << ".h: the C interface of the model '" << model
     << "', generated by nnc.\n"
     << " *\n"
     << " * Link with the object or library nnc wrote and with\n"
     << " *   -lstdc++ -lm -lz -L/usr/lib/llvm-19/lib "
        "-Wl,-rpath,/usr/lib/llvm-19/lib -lomp\n"
     << " * Usage:\n"
     << " *   nnc_model *m = " << model << "_create();\n"
     << " *   nnc_init(m, 42);                  (or set the parameters)\n"
     << " *   " << model << "_train_step(m, batch, <inputs>, <targets>, "
        "results);\n"
     << " *   " << model << "_predict(m, batch, <inputs>, <outputs>);\n"
     << " *   nnc_save(m, \"model.safetensors\", NULL);\n"
     << " *   nnc_destroy(m);\n"
     << " * Errors: functions return -1 and nnc_last_error() says why. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << kRuntimeHeader << "\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "extern const nnc_model_def " << model << "_def;\n\n"
     << "/* A new model state with zeroed parameters, or NULL. */\n"
     << "static inline nnc_model *" << model << "_create(void) {\n"
     << "  return nnc_create(&" << model << "_def);\n}\n\n";

  // Pieces of the typed wrappers: doc lines, C parameters, pointer arrays.
  auto field = [](const llvm::json::Value &t, llvm::StringRef key) {
    return *t.getAsObject()->getString(key);
  };
  auto document = [&](const llvm::json::Array &list, llvm::StringRef role,
                      llvm::StringRef note) {
    for (const llvm::json::Value &t : list)
      os << " *   " << role << " " << field(t, "name") << ": "
         << field(t, "dtype") << shapeText(*t.getAsObject()->getArray("shape"))
         << note << "\n";
  };
  auto parameters = [&](const llvm::json::Array &list, llvm::StringRef cv) {
    for (const llvm::json::Value &t : list)
      os << ", " << cv << cType(field(t, "dtype")) << " *" << field(t, "name");
  };
  auto pointers = [&](const llvm::json::Array &list, llvm::StringRef decl) {
    os << "  " << decl << "[] = {";
    for (auto [i, t] : llvm::enumerate(list))
      os << (i ? ", " : "") << field(t, "name");
    os << "};\n";
  };

  os << "/* Inference on `batch` samples.\n";
  document(inputs, "input ", "");
  document(outputs, "output", " (written by the call)");
  os << " */\nstatic inline int " << model
     << "_predict(nnc_model *model, int64_t batch";
  parameters(inputs, "const ");
  parameters(outputs, "");
  os << ") {\n";
  pointers(inputs, "const void *inputs");
  pointers(outputs, "void *outputs");
  os << "  return nnc_predict(model, batch, inputs, outputs);\n}\n\n";

  if (d.getBoolean("has_loss").value_or(false)) {
    const llvm::json::Array &targets = *d.getArray("targets");
    os << "/* One training step on `batch` samples (parameters and optimizer\n"
       << " * state updated in place); `results` gets the loss, then";
    for (const llvm::json::Value &m : *d.getArray("metrics"))
      os << " " << *m.getAsString();
    os << ".\n";
    document(targets, "target", "");
    os << " * " << model << "_eval_step: the same in inference mode, no update.\n"
       << " */\n";
    for (const char *kind : {"train_step", "eval_step"}) {
      os << "static inline int " << model << "_" << kind
         << "(nnc_model *model, int64_t batch";
      parameters(inputs, "const ");
      parameters(targets, "const ");
      os << ", double *results) {\n";
      pointers(inputs, "const void *inputs");
      pointers(targets, "const void *targets");
      os << "  return nnc_" << kind
         << "(model, batch, inputs, targets, results);\n}\n\n";
    }
  }

  os << "/* The variables, by index (nnc_variable_data(model, i)):\n";
  for (auto [i, t] : llvm::enumerate(variables)) {
    const llvm::json::Object &v = *t.getAsObject();
    os << " *   " << i << "  " << *v.getString("name") << ": "
       << *v.getString("dtype") << shapeText(*v.getArray("shape")) << " ("
       << *v.getString("kind") << ")\n";
  }
  os << " */\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard
     << " */\n";
  return success();
}

//===----------------------------------------------------------------------===//
// Linking
//===----------------------------------------------------------------------===//




static std::string findTool(llvm::ArrayRef<llvm::StringRef> names) {
  for (llvm::StringRef name : names) {
    auto path = llvm::sys::findProgramByName(name, {"/usr/lib/llvm-19/bin"});
    if (path)
      return *path;
    path = llvm::sys::findProgramByName(name);
    if (path)
      return *path;
  }
  return "";
}

/// Runs `args` (args[0] the program), its output to ours or, with `quiet`,
/// nowhere; returns an error message, empty on success.
static std::string run(llvm::ArrayRef<std::string> args, bool quiet = false) {
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string error;
  std::optional<llvm::StringRef> devNull[] = {std::nullopt, llvm::StringRef(),
                                              llvm::StringRef()};
  int rc = llvm::sys::ExecuteAndWait(
      args[0], argRefs, std::nullopt,
      quiet ? llvm::ArrayRef(devNull)
            : llvm::ArrayRef<std::optional<llvm::StringRef>>(),
      0, 0, &error);
  if (rc == 0)
    return "";
  std::string command;
  for (const std::string &a : args)
    command += a + " ";
  return "linking failed (" +
         (error.empty() ? "status " + std::to_string(rc) : error) +
         "): " + command;
}

/// The linker command that clang++ would run (codegen/LinkCommands.cmake),
/// with `output` and `inputs` in place; empty when it is not known or its
/// linker is gone.
static std::vector<std::string>
directLink(const char *const *command, llvm::StringRef output,
           llvm::ArrayRef<std::string> inputs) {
  std::vector<std::string> args;
  if (!command[0] || !llvm::sys::fs::can_execute(command[0]))
    return args;
  for (const char *const *a = command; *a; ++a) {
    if (llvm::StringRef(*a) == "NNC.OUTPUT")
      args.push_back(output.str());
    else if (llvm::StringRef(*a) == "NNC.INPUTS")
      args.insert(args.end(), inputs.begin(), inputs.end());
    else
      args.push_back(*a);
  }
  return args;
}

std::string nnc::link(LinkKind kind, llvm::ArrayRef<std::string> objects,
                      llvm::StringRef output, llvm::StringRef runtimeDir,
                      llvm::ArrayRef<std::string> mpiLibraries) {
  std::string runtime = (runtimeDir + "/libnnc_runtime.a").str();
  if (!llvm::sys::fs::exists(runtime))
    return "the runtime library is missing: " + runtime;
  if (kind == LinkKind::Relocatable) {
    std::string tool = findTool({"ld.lld-19", "ld.lld"});
    if (tool.empty())
      return "no linker found (install lld-19)";
    std::vector<std::string> args = {tool, "-r", "-o", output.str()};
    args.insert(args.end(), objects.begin(), objects.end());
    args.push_back("--whole-archive");
    args.push_back(runtime);
    return run(args);
  }

  // The inputs in the linker's own terms...
  std::vector<std::string> inputs(objects.begin(), objects.end());
  if (kind == LinkKind::SharedLibrary) {
    inputs.insert(inputs.end(), {"--whole-archive", runtime,
                                 "--no-whole-archive"});
  } else {
    if (!mpiLibraries.empty()) {
      // Whole: its definitions replace the one-process defaults of
      // libnnc_main.a (runtime/main/Distributed.cpp).
      std::string mpi = (runtimeDir + "/libnnc_mpi.a").str();
      if (!llvm::sys::fs::exists(mpi))
        return "the runtime's MPI layer is missing: " + mpi;
      inputs.insert(inputs.end(), {"--whole-archive", mpi,
                                   "--no-whole-archive"});
    }
    inputs.push_back((runtimeDir + "/libnnc_main.a").str());
    inputs.push_back(runtime);
    inputs.insert(inputs.end(), mpiLibraries.begin(), mpiLibraries.end());
  }
  // ... for ld.lld run directly, as clang++ would: the driver's own start
  // is most of a small model's link time.
  std::vector<std::string> args = directLink(
      kind == LinkKind::SharedLibrary ? kSharedLink : kExecutableLink, output,
      inputs);
  if (!args.empty() && run(args, /*quiet=*/true).empty())
    return "";

  // Otherwise (no recorded command, or one that no longer works: a new
  // GCC, say) through the compiler driver.
  std::string tool = findTool({"clang++-19", "clang++", "g++"});
  if (tool.empty())
    return "no linker found (install clang-19 and lld-19)";
  args = {tool, "-o", output.str()};
  if (kind == LinkKind::SharedLibrary)
    args.push_back("-shared");
  // lld links in about two thirds of the time of GNU ld.
  if (llvm::StringRef(tool).contains("clang") &&
      !findTool({"ld.lld-19", "ld.lld"}).empty())
    args.push_back("-fuse-ld=lld");
  for (const std::string &input : inputs)
    args.push_back(llvm::StringRef(input).starts_with("--")
                       ? "-Wl," + input
                       : input);
  for (const char *a :
       {"-lz", "-lm", "-lpthread", "-L/usr/lib/llvm-19/lib",
        "-Wl,-rpath,/usr/lib/llvm-19/lib", "-lomp"})
    args.push_back(a);
  for (const char *const *a = kDriverLinkFlags; *a; ++a)
    args.push_back(*a);
  return run(args);
}
