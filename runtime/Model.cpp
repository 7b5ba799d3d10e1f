//===- Model.cpp - model state and the C ABI ------------------------------===//
#include "runtime/Model.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif
#include "runtime/Cuda.h"
#include "runtime/LastError.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

using namespace nnc::rt;
using json = nlohmann::json;

static thread_local std::string lastError;

void nnc::rt::setLastError(const std::string &message) { lastError = message; }

size_t nnc::rt::dtypeSize(int dtype) { return dtype == NNC_F64 ? 8 : 4; }

int64_t TensorInfo::sampleSize() const {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d >= 0)
      n *= d;
  return n;
}

Buffer::Buffer(size_t bytes, bool managed) : bytes(bytes) {
  if (managed) {
    ptr = std::unique_ptr<void, BufferFree>(cuda::allocManaged(bytes),
                                            BufferFree{true});
    return;
  }
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, rounded ? rounded : 64);
  if (!p)
    throw Error("out of memory allocating " + std::to_string(bytes) +
                " bytes");
  std::memset(p, 0, rounded ? rounded : 64);
  ptr.reset(p);
}

void BufferFree::operator()(void *p) const {
  if (managed)
    cuda::freeManaged(p);
  else
    std::free(p);
}

static int parseDtype(const std::string &s) {
  if (s == "f32")
    return NNC_F32;
  if (s == "f64")
    return NNC_F64;
  if (s == "i32")
    return NNC_I32;
  throw Error("unknown dtype '" + s + "' in the model description");
}

static void readTensor(const json &j, TensorInfo &t) {
  t.name = j.at("name").get<std::string>();
  t.dtype = parseDtype(j.at("dtype").get<std::string>());
  t.shape = j.at("shape").get<std::vector<int64_t>>();
}

Description Description::parse(const char *text) {
  Description d;
  try {
    json j = json::parse(text);
    d.model = j.at("model").get<std::string>();
    for (const json &v : j.at("variables")) {
      VariableInfo info;
      readTensor(v, info);
      std::string kind = v.at("kind").get<std::string>();
      info.kind = kind == "param"       ? NNC_PARAM
                  : kind == "optimizer" ? NNC_OPTIMIZER
                                        : NNC_STATE;
      info.trainable = info.kind == NNC_PARAM;
      info.init = v.at("init").get<std::string>();
      info.scale = v.at("scale").get<double>();
      info.fanIn = v.at("fan_in").get<int64_t>();
      info.fanOut = v.at("fan_out").get<int64_t>();
      d.variables.push_back(std::move(info));
    }
    auto readList = [&](const char *key, std::vector<TensorInfo> &out) {
      for (const json &t : j.at(key)) {
        TensorInfo info;
        readTensor(t, info);
        out.push_back(std::move(info));
      }
    };
    readList("inputs", d.inputs);
    readList("targets", d.targets);
    readList("outputs", d.outputs);
    d.metrics = j.at("metrics").get<std::vector<std::string>>();
    d.hasLoss = j.at("has_loss").get<bool>();
    auto isF64 = [](const TensorInfo &t) { return t.dtype == NNC_F64; };
    d.wideScalars = std::any_of(d.variables.begin(), d.variables.end(), isF64) ||
                    std::any_of(d.inputs.begin(), d.inputs.end(), isF64);
    d.cuda = j.value("device", std::string("cpu")) == "cuda";
    if (j.contains("train")) {
      const json &train = j.at("train");
      d.trainJson = train.dump();
      if (train.contains("optimizer"))
        d.learningRate = train.at("optimizer").value("lr", d.learningRate);
    }
    if (j.contains("memory"))
      for (auto &[entry, mem] : j.at("memory").items()) {
        EntryMemory &e = d.memory[entry];
        e.variables = mem.at("variables").get<int64_t>();
        for (int i = 0; i < 2; ++i) {
          e.small[i] = mem.at("small").at(i).get<double>();
          e.large[i] = mem.at("large").at(i).get<double>();
        }
      }
    if (j.contains("normalize"))
      for (const json &n : j.at("normalize")) {
        Normalizer norm{n.at("input").get<std::string>(),
                        n.at("mean").get<size_t>(), n.at("var").get<size_t>()};
        if (norm.mean >= d.variables.size() || norm.var >= d.variables.size())
          throw Error("malformed model description: normalize variables");
        d.normalizers.push_back(norm);
      }
  } catch (const json::exception &e) {
    throw Error(std::string("malformed model description: ") + e.what());
  }
  return d;
}

namespace {
/// One call of an entry point: its buffers are the model's variables
/// (optimizer slots only for train_step), then the caller's tensors in
/// order, each read by the call (`in`) or written (`out`). For a CUDA
/// model the caller's tensors are staged in device memory: copied there
/// before the call, results copied back after it, on the one stream.
/// Subnormal floats flushed to zero (MXCSR's FTZ and DAZ) while compiled
/// code runs, as TensorFlow's threads do: Adam's moments of weights whose
/// gradient stays 0 (the border pixels of MNIST-like images) decay into the
/// subnormal range after a few hundred steps, where every multiply and
/// divide takes a microcode assist -- the MLP example trained 2.4x slower
/// at batch 32 (8x at batch 8) by its second thousand steps. OpenMP's
/// workers take the calling thread's MXCSR at each parallel region
/// (libomp's KMP_INHERIT_FP_CONTROL). The caller's mode is restored after.
class FlushDenormals {
public:
#if defined(__x86_64__) || defined(__i386__)
  FlushDenormals() : saved(_mm_getcsr()) { _mm_setcsr(saved | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved); }

private:
  unsigned saved;
#endif
};

class EntryCall {
public:
  EntryCall(nnc_model *m, bool withSlots = false)
      : m(m), buffers(threadBuffers()), staged(threadStaged()) {
    buffers.clear();
    staged.clear();
    for (size_t i = 0; i < m->variables.size(); ++i)
      if (withSlots || m->desc.variables[i].kind != NNC_OPTIMIZER)
        buffers.push_back(m->variables[i].data());
  }
  ~EntryCall() {
    for (const Staged &t : staged)
      if (t.device)
        cuda::freeDevice(t.device);
  }
  void in(const void *p, size_t bytes) { add(const_cast<void *>(p), bytes, false); }
  void out(void *p, size_t bytes) { add(p, bytes, true); }
  /// The tensors of `list` (each `batch` samples), one pointer each.
  void in(const void *const *ptrs, const std::vector<TensorInfo> &list,
          int64_t batch) {
    for (size_t i = 0; i < list.size(); ++i)
      in(ptrs[i], bytes(list[i], batch));
  }
  void out(void *const *ptrs, const std::vector<TensorInfo> &list,
           int64_t batch) {
    for (size_t i = 0; i < list.size(); ++i)
      out(ptrs[i], bytes(list[i], batch));
  }

  void run(void (*fn)(int64_t, void **), int64_t batch, const char *what) {
    for (const Staged &t : staged)
      if (!t.host)
        throw Error("an input, target or output pointer is NULL");
    if (!m->desc.cuda) {
      for (const Staged &t : staged)
        buffers.push_back(t.host);
      FlushDenormals ftz;
      fn(batch, buffers.data());
      return;
    }
    cuda::init(); // the context, current on this thread too
    for (Staged &t : staged) {
      t.device = cuda::allocDevice(t.bytes);
      if (!t.device)
        cuda::synchronize(what); // throws the allocation's error
      if (!t.out)
        cuda::copyToDevice(t.device, t.host, t.bytes);
      buffers.push_back(t.device);
    }
    // Copy errors surface at the synchronization after the call.
    fn(batch, buffers.data());
    for (const Staged &t : staged)
      if (t.out)
        cuda::copyToHost(t.host, t.device, t.bytes);
    cuda::synchronize(what);
  }

private:
  struct Staged {
    void *host;
    size_t bytes;
    bool out;
    void *device = nullptr;
  };
  static size_t bytes(const TensorInfo &t, int64_t batch) {
    return batch * t.sampleSize() * dtypeSize(t.dtype);
  }
  void add(void *p, size_t bytes, bool out) {
    staged.push_back({p, bytes, out});
  }
  // The pointer lists live on in the calling thread between calls: no
  // heap allocation per call once they have grown (an entry call never
  // runs another on the same thread).
  static std::vector<void *> &threadBuffers() {
    static thread_local std::vector<void *> v;
    return v;
  }
  static std::vector<Staged> &threadStaged() {
    static thread_local std::vector<Staged> v;
    return v;
  }
  nnc_model *m;
  std::vector<void *> &buffers;
  std::vector<Staged> &staged;
};
} // namespace

/// Runs `fn`, turning exceptions into -1 and the thread's last error.
template <typename Fn>
static int guarded(Fn &&fn) {
  try {
    fn();
    lastError.clear();
    return 0;
  } catch (const std::exception &e) {
    lastError = e.what();
    return -1;
  }
}

/// The machine's memory in bytes, 0 if unknown.
static double physicalMemory() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  return pages > 0 && pageSize > 0 ? (double)pages * pageSize : 0;
}

/// "48.6 GB".
static std::string gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
  return text;
}

/// A model whose variables alone exceed the machine's memory is refused
/// before anything is allocated (zeroing them would have the kernel's
/// out-of-memory killer end the process minutes later).
static void checkFitsInMemory(const Description &d) {
  double parameters = 0, optimizer = 0;
  for (const VariableInfo &v : d.variables)
    (v.kind == NNC_OPTIMIZER ? optimizer : parameters) +=
        (double)v.sampleSize() * dtypeSize(v.dtype);
  double memory = physicalMemory();
  if (memory == 0)
    return;
  if (parameters + optimizer > memory)
    throw Error("model '" + d.model + "' needs " +
                gigabytes(parameters + optimizer) + " for its variables (" +
                gigabytes(parameters) + " of parameters and state, " +
                gigabytes(optimizer) + " of optimizer state), more than " +
                "this machine's " + gigabytes(memory) + " of memory");
}

void nnc::rt::checkBatchFits(const nnc_model *m, const std::string &entry,
                             int64_t batch) {
  auto it = m->desc.memory.find(entry);
  double memory = physicalMemory();
  if (m->desc.cuda || it == m->desc.memory.end() || memory == 0)
    return;
  const Description::EntryMemory &e = it->second;
  double bytes = e.bytes(batch);
  if (bytes <= memory)
    return;
  const char *what = entry == "train_step"  ? "a training step"
                     : entry == "eval_step" ? "an evaluation step"
                                            : "a prediction";
  throw Error("model '" + m->desc.model + "' needs at least " +
              gigabytes(bytes) + " for " + what + " at batch " +
              std::to_string(batch) + " (" + gigabytes(e.variables) +
              " of variables, " + gigabytes(bytes - e.variables) +
              " of the batch and the step's tensors), more than this " +
              "machine's " + gigabytes(memory) +
              " of memory; use a smaller --batch");
}

static void checkModel(const nnc_model *m) {
  if (!m)
    throw Error("the model is NULL");
}

static const VariableInfo &variableAt(const nnc_model *m, int i) {
  checkModel(m);
  if (i < 0 || (size_t)i >= m->desc.variables.size())
    throw Error("variable index " + std::to_string(i) + " is out of range");
  return m->desc.variables[i];
}

extern "C" {

const char *nnc_last_error(void) { return lastError.c_str(); }

nnc_model *nnc_create(const nnc_model_def *def) {
  nnc_model *model = nullptr;
  guarded([&] {
    if (!def)
      throw Error("the model definition is NULL");
    if (def->abi_version != NNC_ABI_VERSION)
      throw Error("the model was compiled for ABI version " +
                  std::to_string(def->abi_version) + ", this runtime is " +
                  std::to_string(NNC_ABI_VERSION));
    auto m = std::make_unique<nnc_model>();
    m->def = def;
    m->desc = Description::parse(def->description);
    m->lr = m->desc.learningRate;
    if (m->desc.cuda)
      cuda::init(); // a clear error when there is no driver or device
    else
      checkFitsInMemory(m->desc);
    for (const VariableInfo &v : m->desc.variables)
      m->variables.emplace_back(v.sampleSize() * dtypeSize(v.dtype),
                                m->desc.cuda);
    model = m.release();
  });
  // NNC_NUM_THREADS sets the compiled code's threads (like --threads).
  static const bool threadsFromEnv = [] {
    if (const char *n = std::getenv("NNC_NUM_THREADS"))
      nnc_set_threads(std::atoi(n));
    return true;
  }();
  (void)threadsFromEnv;
  return model;
}

void nnc_destroy(nnc_model *model) { delete model; }

int nnc_predict(nnc_model *m, int64_t batch, const void *const *inputs,
                void *const *outputs) {
  return guarded([&] {
    checkModel(m);
    if (!m->def->predict)
      throw Error("the model has no compiled predict");
    if (batch < 1)
      throw Error("batch must be positive, got " + std::to_string(batch));
    if (!inputs || !outputs)
      throw Error("inputs and outputs must not be NULL");
    EntryCall call(m);
    call.in(inputs, m->desc.inputs, batch);
    call.out(outputs, m->desc.outputs, batch);
    call.run(m->def->predict, batch, "predict");
  });
}

int nnc_gradients(nnc_model *m, int64_t batch, const void *const *inputs,
                  const void *const *targets, void *loss,
                  void *const *grads) {
  return guarded([&] {
    checkModel(m);
    if (!m->def->gradients)
      throw Error("the model has no compiled gradients (it needs a loss; "
                  "executables are compiled without them)");
    if (batch < 1)
      throw Error("batch must be positive, got " + std::to_string(batch));
    if (!inputs || !targets || !loss || !grads)
      throw Error("inputs, targets, loss and grads must not be NULL");
    // Dropout with key 0; the metrics are computed but not kept.
    int32_t key = 0;
    size_t scalar = m->desc.wideScalars ? 8 : 4;
    std::vector<double> metrics(m->desc.metrics.size()); // f32 or f64 each
    EntryCall call(m);
    call.in(inputs, m->desc.inputs, batch);
    call.in(targets, m->desc.targets, batch);
    call.in(&key, sizeof key);
    call.out(loss, scalar);
    for (double &metric : metrics)
      call.out(&metric, scalar);
    size_t g = 0;
    for (const VariableInfo &v : m->desc.variables)
      if (v.trainable)
        call.out(grads[g++], v.sampleSize() * dtypeSize(v.dtype));
    call.run(m->def->gradients, batch, "gradients");
  });
}

namespace {
/// A 0-d tensor of the model's float type.
struct Scalar {
  double f64 = 0;
  float f32 = 0;
  void *at(bool wide) { return wide ? (void *)&f64 : (void *)&f32; }
  double get(bool wide) const { return wide ? f64 : f32; }
  void set(bool wide, double v) {
    f64 = v;
    f32 = (float)v;
  }
};
} // namespace

static void checkBatch(const nnc_model *m, int64_t batch, const void *inputs,
                       const void *targets, const double *results) {
  checkModel(m);
  if (batch < 1)
    throw Error("batch must be positive, got " + std::to_string(batch));
  if (!inputs || !targets || !results)
    throw Error("inputs, targets and results must not be NULL");
}

/// The 32-bit key of a step's dropout masks: the init seed and the step,
/// mixed (splitmix64), so that each step draws fresh masks.
static int32_t stepKey(uint64_t seed, int64_t step) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + (uint64_t)step;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (int32_t)(uint32_t)(z ^ (z >> 31));
}

int nnc_train_step(nnc_model *m, int64_t batch, const void *const *inputs,
                   const void *const *targets, double *results) {
  return guarded([&] {
    checkBatch(m, batch, inputs, targets, results);
    if (!m->def->train_step)
      throw Error("the model has no compiled train_step (it needs a loss)");
    bool wide = m->desc.wideScalars;
    Scalar lr, step;
    lr.set(wide, m->lr);
    step.set(wide, (double)(m->step + 1));
    int32_t key = stepKey(m->seed, m->step + 1);
    std::vector<Scalar> out(1 + m->desc.metrics.size());
    size_t scalar = wide ? 8 : 4;
    EntryCall call(m, /*withSlots=*/true);
    call.in(inputs, m->desc.inputs, batch);
    call.in(targets, m->desc.targets, batch);
    call.in(lr.at(wide), scalar);
    call.in(step.at(wide), scalar);
    call.in(&key, sizeof key);
    for (Scalar &s : out)
      call.out(s.at(wide), scalar);
    call.run(m->def->train_step, batch, "train_step");
    ++m->step;
    for (size_t i = 0; i < out.size(); ++i)
      results[i] = out[i].get(wide);
  });
}

int nnc_eval_step(nnc_model *m, int64_t batch, const void *const *inputs,
                  const void *const *targets, double *results) {
  return guarded([&] {
    checkBatch(m, batch, inputs, targets, results);
    if (!m->def->eval_step)
      throw Error("the model has no compiled eval_step (it needs a loss)");
    bool wide = m->desc.wideScalars;
    std::vector<Scalar> out(1 + m->desc.metrics.size());
    EntryCall call(m);
    call.in(inputs, m->desc.inputs, batch);
    call.in(targets, m->desc.targets, batch);
    for (Scalar &s : out)
      call.out(s.at(wide), wide ? 8 : 4);
    call.run(m->def->eval_step, batch, "eval_step");
    for (size_t i = 0; i < out.size(); ++i)
      results[i] = out[i].get(wide);
  });
}

int nnc_num_metrics(const nnc_model *m) {
  return m ? (int)m->desc.metrics.size() : 0;
}
const char *nnc_metric_name(const nnc_model *m, int i) {
  if (!m || i < 0 || (size_t)i >= m->desc.metrics.size())
    return nullptr;
  return m->desc.metrics[i].c_str();
}

int nnc_set_learning_rate(nnc_model *m, double lr) {
  return guarded([&] {
    checkModel(m);
    if (!(lr > 0) || !std::isfinite(lr))
      throw Error("the learning rate must be a positive number");
    m->lr = lr;
  });
}
double nnc_learning_rate(const nnc_model *m) { return m ? m->lr : 0; }
int64_t nnc_step(const nnc_model *m) { return m ? m->step : 0; }
int nnc_set_step(nnc_model *m, int64_t step) {
  return guarded([&] {
    checkModel(m);
    if (step < 0)
      throw Error("the step must be >= 0");
    m->step = step;
  });
}
const char *nnc_train_settings(const nnc_model *m) {
  return m ? m->desc.trainJson.c_str() : "";
}

extern void omp_set_num_threads(int) __attribute__((weak));
extern int omp_get_num_procs(void) __attribute__((weak));

int nnc_set_threads(int threads) {
  return guarded([&] {
    if (threads < 0)
      throw Error("threads must be >= 0");
    if (omp_set_num_threads)
      omp_set_num_threads(threads > 0 ? threads
                                      : (omp_get_num_procs ? omp_get_num_procs()
                                                           : 1));
  });
}

const char *nnc_model_name(const nnc_model *m) {
  return m ? m->desc.model.c_str() : "";
}
const char *nnc_device(const nnc_model *m) {
  return m && m->desc.cuda ? "cuda" : "cpu";
}
int nnc_num_inputs(const nnc_model *m) {
  return m ? (int)m->desc.inputs.size() : 0;
}
int nnc_num_outputs(const nnc_model *m) {
  return m ? (int)m->desc.outputs.size() : 0;
}

static const TensorInfo *ioAt(const std::vector<TensorInfo> &list, int i) {
  return i >= 0 && (size_t)i < list.size() ? &list[i] : nullptr;
}
int nnc_num_targets(const nnc_model *m) {
  return m ? (int)m->desc.targets.size() : 0;
}
const char *nnc_target_name(const nnc_model *m, int i) {
  auto *t = m ? ioAt(m->desc.targets, i) : nullptr;
  return t ? t->name.c_str() : nullptr;
}
int64_t nnc_target_size(const nnc_model *m, int i) {
  auto *t = m ? ioAt(m->desc.targets, i) : nullptr;
  return t ? t->sampleSize() : -1;
}
int nnc_target_dtype(const nnc_model *m, int i) {
  auto *t = m ? ioAt(m->desc.targets, i) : nullptr;
  return t ? t->dtype : -1;
}
const char *nnc_input_name(const nnc_model *m, int i) {
  auto *t = m ? ioAt(m->desc.inputs, i) : nullptr;
  return t ? t->name.c_str() : nullptr;
}
const char *nnc_output_name(const nnc_model *m, int i) {
  auto *t = m ? ioAt(m->desc.outputs, i) : nullptr;
  return t ? t->name.c_str() : nullptr;
}
int64_t nnc_input_size(const nnc_model *m, int i) {
  auto *t = m ? ioAt(m->desc.inputs, i) : nullptr;
  return t ? t->sampleSize() : -1;
}
int64_t nnc_output_size(const nnc_model *m, int i) {
  auto *t = m ? ioAt(m->desc.outputs, i) : nullptr;
  return t ? t->sampleSize() : -1;
}
int nnc_input_dtype(const nnc_model *m, int i) {
  auto *t = m ? ioAt(m->desc.inputs, i) : nullptr;
  return t ? t->dtype : -1;
}
int nnc_output_dtype(const nnc_model *m, int i) {
  auto *t = m ? ioAt(m->desc.outputs, i) : nullptr;
  return t ? t->dtype : -1;
}

int nnc_num_variables(const nnc_model *m) {
  return m ? (int)m->desc.variables.size() : 0;
}

const char *nnc_variable_name(const nnc_model *m, int i) {
  try {
    return variableAt(m, i).name.c_str();
  } catch (const Error &e) {
    lastError = e.what();
    return nullptr;
  }
}

int nnc_variable_trainable(const nnc_model *m, int i) {
  int trainable = -1;
  guarded([&] { trainable = variableAt(m, i).trainable; });
  return trainable;
}
int nnc_variable_kind(const nnc_model *m, int i) {
  int kind = -1;
  guarded([&] { kind = variableAt(m, i).kind; });
  return kind;
}
int nnc_variable_dtype(const nnc_model *m, int i) {
  int dtype = -1;
  guarded([&] { dtype = variableAt(m, i).dtype; });
  return dtype;
}
int nnc_variable_rank(const nnc_model *m, int i) {
  int rank = -1;
  guarded([&] { rank = (int)variableAt(m, i).shape.size(); });
  return rank;
}
const int64_t *nnc_variable_shape(const nnc_model *m, int i) {
  const int64_t *shape = nullptr;
  guarded([&] { shape = variableAt(m, i).shape.data(); });
  return shape;
}
int64_t nnc_variable_size(const nnc_model *m, int i) {
  int64_t size = -1;
  guarded([&] { size = variableAt(m, i).sampleSize(); });
  return size;
}
void *nnc_variable_data(nnc_model *m, int i) {
  void *data = nullptr;
  guarded([&] {
    variableAt(m, i);
    data = m->variables[i].data();
  });
  return data;
}
int nnc_find_variable(const nnc_model *m, const char *name) {
  if (!m || !name)
    return -1;
  for (size_t i = 0; i < m->desc.variables.size(); ++i)
    if (m->desc.variables[i].name == name)
      return (int)i;
  return -1;
}

} // extern "C"
