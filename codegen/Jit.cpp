//===- Jit.cpp - compile .nn models at run time from C++ ------------------===//
#include "codegen/Jit.h"
#include "codegen/CpuPipeline.h"
#include "codegen/Emit.h"
#include "frontend/ImportGraph.h"
#include "passes/Pipelines.h"
#include "tools/InitAll.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <mutex>

using namespace mlir;

extern "C" void memrefCopy(int64_t, void *, void *);
extern "C" void *_mlir_memref_to_llvm_alloc(uint64_t);
extern "C" void *_mlir_memref_to_llvm_aligned_alloc(uint64_t, uint64_t);
extern "C" void _mlir_memref_to_llvm_free(void *);

struct nnc::CompiledModel::Impl {
  std::string name;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  const nnc_model_def *def = nullptr;
};

nnc::CompiledModel::CompiledModel(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}
nnc::CompiledModel::~CompiledModel() = default;
const nnc_model_def *nnc::CompiledModel::definition() const {
  return impl->def;
}
const std::string &nnc::CompiledModel::name() const { return impl->name; }

/// Compiles one model; throws JitError with the diagnostics.
static std::unique_ptr<nnc::CompiledModel::Impl>
compileUncached(const std::string &source, const std::string &filename,
                const nnc::JitOptions &options) {
  nnc::registerAllPasses();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  DialectRegistry registry;
  nnc::registerAllDialects(registry);
  // The context must outlive nothing but the compilation: the JIT keeps
  // only the linked machine code.
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  llvm::raw_string_ostream diagStream(diagnostics);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, filename), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagStream);

  OwningOpRef<ModuleOp> module =
      nnc::importModel(sourceMgr, sourceMgr.getMainFileID(), &context);
  if (!module)
    throw nnc::JitError(diagnostics);
  nnc::CodegenOptions codegen;
  codegen.optLevel = options.optLevel;
  codegen.targetCpu = options.targetCpu;
  nnc::resolveTarget(codegen);
  PassManager pm(&context);
  nnc::PipelineOptions graph;
  graph.optLevel = options.optLevel;
  nnc::buildGraphPipeline(pm, graph);
  if (failed(nnc::buildFunctionsPipeline(pm, codegen)) ||
      failed(nnc::buildLinalgPipeline(pm, codegen)) ||
      failed(nnc::buildCpuLoweringPipeline(pm, codegen)) ||
      failed(pm.run(*module)))
    throw nnc::JitError("internal error compiling " + filename + ":\n" +
                        diagnostics);

  // The same objects as the AOT compiler (codegen/Emit.cpp): optimized
  // and compiled in parts on one thread per core, then linked in-process.
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      nnc::createTargetMachine(codegen, error);
  if (!machine)
    throw nnc::JitError(error);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      nnc::translate(*module, llvmContext, *machine);
  if (!llvmModule)
    throw nnc::JitError("internal error translating " + filename + ":\n" +
                        diagnostics);
  std::string modelName =
      (*module)->getAttrOfType<StringAttr>(nnc::kModelAttr).getValue().str();
  std::vector<llvm::SmallVector<char, 0>> objects;
  error = nnc::emitObjects(std::move(llvmModule), codegen, modelName, objects);
  if (!error.empty())
    throw nnc::JitError("JIT failed: " + error);

  auto fail = [](llvm::Error e) {
    throw nnc::JitError("JIT failed: " + llvm::toString(std::move(e)));
  };
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    fail(jit.takeError());
  llvm::orc::JITDylib &dylib = (*jit)->getMainJITDylib();
  // The OpenMP runtime and libc from this process; the allocator and copy
  // of nnc's runtime, linked into this library, by address.
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process)
    fail(process.takeError());
  dylib.addGenerator(std::move(*process));
  llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(),
                                        (*jit)->getDataLayout());
  llvm::orc::SymbolMap symbols;
  auto add = [&](const char *name, auto *fn) {
    symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                               llvm::JITSymbolFlags::Exported};
  };
  add("memrefCopy", &memrefCopy);
  add("_mlir_memref_to_llvm_alloc", &_mlir_memref_to_llvm_alloc);
  add("_mlir_memref_to_llvm_aligned_alloc",
      &_mlir_memref_to_llvm_aligned_alloc);
  add("_mlir_memref_to_llvm_free", &_mlir_memref_to_llvm_free);
  if (llvm::Error e = dylib.define(llvm::orc::absoluteSymbols(symbols)))
    fail(std::move(e));
  for (const llvm::SmallVector<char, 0> &object : objects) {
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
        llvm::StringRef(object.data(), object.size()), modelName);
    if (llvm::Error e = (*jit)->addObjectFile(std::move(buffer)))
      fail(std::move(e));
  }

  auto impl = std::make_unique<nnc::CompiledModel::Impl>();
  impl->name = modelName;
  auto def = (*jit)->lookup(impl->name + "_def");
  if (!def)
    throw nnc::JitError("JIT: no " + impl->name +
                        "_def: " + llvm::toString(def.takeError()));
  impl->def = def->toPtr<const nnc_model_def *>();
  impl->jit = std::move(*jit);
  return impl;
}

std::shared_ptr<const nnc::CompiledModel>
nnc::compile(const std::string &source, const std::string &filename,
             const JitOptions &options) {
  // One compilation per (source, options) for the life of the process. The
  // cache is never destroyed: its JITs must not outlive LLVM's statics.
  static std::mutex mutex;
  static auto &cache =
      *new llvm::StringMap<std::shared_ptr<const CompiledModel>>();
  std::string key = std::to_string(options.optLevel) + "\n" +
                    options.targetCpu + "\n" + source;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  auto code = std::make_shared<const CompiledModel>(
      compileUncached(source, filename, options));
  cache[key] = code;
  return code;
}

std::shared_ptr<const nnc::CompiledModel>
nnc::compileFile(const std::string &path, const JitOptions &options) {
  std::string error;
  auto buffer = openInputFile(path, &error);
  if (!buffer)
    throw JitError("cannot read '" + path + "': " + error);
  return compile(buffer->getBuffer().str(), path, options);
}

//===----------------------------------------------------------------------===//
// Model: the C ABI's operations with exceptions
//===----------------------------------------------------------------------===//

static void check(int rc) {
  if (rc != 0)
    throw nnc::JitError(nnc_last_error());
}

nnc::Model::Model(std::shared_ptr<const CompiledModel> code)
    : code(std::move(code)) {
  state = nnc_create(this->code->definition());
  if (!state)
    throw JitError(nnc_last_error());
}
nnc::Model::~Model() { nnc_destroy(state); }
nnc::Model::Model(Model &&other) noexcept
    : code(std::move(other.code)), state(other.state) {
  other.state = nullptr;
}
nnc::Model &nnc::Model::operator=(Model &&other) noexcept {
  std::swap(code, other.code);
  std::swap(state, other.state);
  return *this;
}

void nnc::Model::init(uint64_t seed) { check(nnc_init(state, seed)); }

void nnc::Model::predict(int64_t batch,
                         const std::vector<const void *> &inputs,
                         const std::vector<void *> &outputs) {
  if ((int)inputs.size() != numInputs() || (int)outputs.size() != numOutputs())
    throw JitError("predict: expected " + std::to_string(numInputs()) +
                   " inputs and " + std::to_string(numOutputs()) +
                   " outputs");
  check(nnc_predict(state, batch, inputs.data(), outputs.data()));
}

/// Checks a batch's pointers against the model's interface.
static void checkCounts(const nnc::Model &m, const char *what, size_t inputs,
                        size_t targets) {
  if ((int)inputs != m.numInputs() || (int)targets != m.numTargets())
    throw nnc::JitError(std::string(what) + ": expected " +
                        std::to_string(m.numInputs()) + " inputs and " +
                        std::to_string(m.numTargets()) + " targets");
}

std::vector<double>
nnc::Model::trainStep(int64_t batch, const std::vector<const void *> &inputs,
                      const std::vector<const void *> &targets) {
  checkCounts(*this, "trainStep", inputs.size(), targets.size());
  std::vector<double> results(1 + nnc_num_metrics(state));
  check(nnc_train_step(state, batch, inputs.data(), targets.data(),
                       results.data()));
  return results;
}

std::vector<double>
nnc::Model::evalStep(int64_t batch, const std::vector<const void *> &inputs,
                     const std::vector<const void *> &targets) {
  checkCounts(*this, "evalStep", inputs.size(), targets.size());
  std::vector<double> results(1 + nnc_num_metrics(state));
  check(nnc_eval_step(state, batch, inputs.data(), targets.data(),
                      results.data()));
  return results;
}

void nnc::Model::setLearningRate(double lr) {
  check(nnc_set_learning_rate(state, lr));
}
void nnc::Model::save(const std::string &path) {
  check(nnc_save(state, path.c_str(), nullptr));
}
void nnc::Model::load(const std::string &path) {
  check(nnc_load(state, path.c_str()));
}
int nnc::Model::numTargets() const { return nnc_num_targets(state); }
int nnc::Model::numMetrics() const { return nnc_num_metrics(state); }
std::string nnc::Model::metricName(int i) const {
  const char *name = nnc_metric_name(state, i);
  return name ? name : "";
}

int nnc::Model::numInputs() const { return nnc_num_inputs(state); }
int nnc::Model::numOutputs() const { return nnc_num_outputs(state); }
std::string nnc::Model::inputName(int i) const {
  const char *n = nnc_input_name(state, i);
  return n ? n : "";
}
std::string nnc::Model::outputName(int i) const {
  const char *n = nnc_output_name(state, i);
  return n ? n : "";
}
int64_t nnc::Model::inputSize(int i) const { return nnc_input_size(state, i); }
int64_t nnc::Model::outputSize(int i) const {
  return nnc_output_size(state, i);
}
int nnc::Model::numVariables() const { return nnc_num_variables(state); }
std::string nnc::Model::variableName(int i) const {
  const char *n = nnc_variable_name(state, i);
  if (!n)
    throw JitError(nnc_last_error());
  return n;
}
std::vector<int64_t> nnc::Model::variableShape(int i) const {
  int rank = nnc_variable_rank(state, i);
  if (rank < 0)
    throw JitError(nnc_last_error());
  const int64_t *shape = nnc_variable_shape(state, i);
  return {shape, shape + rank};
}
void *nnc::Model::variableData(int i) {
  void *data = nnc_variable_data(state, i);
  if (!data)
    throw JitError(nnc_last_error());
  return data;
}
int nnc::Model::findVariable(const std::string &name) const {
  return nnc_find_variable(state, name.c_str());
}
