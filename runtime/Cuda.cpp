//===- Cuda.cpp - the CUDA driver layer and MLIR's mgpu* entry points -----===//
//
// See Cuda.h. The driver is loaded with dlopen("libcuda.so.1"); the few
// types and constants of cuda.h that are needed are declared here, so that
// building nnc needs no CUDA headers either.
//
//===----------------------------------------------------------------------===//
#include "runtime/Cuda.h"
#include "runtime/Model.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

using namespace nnc::rt;

// The driver's opaque handle types, declared at global scope as cuda.h does:
// the functions we call through dlsym'd pointers then have the driver's own
// types (UBSan's -fsanitize=function checks this in the sanitizer build).
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;

namespace {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;

constexpr int kJitErrorLogBuffer = 5;          // CU_JIT_ERROR_LOG_BUFFER
constexpr int kJitErrorLogBufferBytes = 6;     // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
constexpr int kJitOptimizationLevel = 7;       // CU_JIT_OPTIMIZATION_LEVEL
constexpr unsigned kMemAttachGlobal = 1;       // CU_MEM_ATTACH_GLOBAL
constexpr unsigned kStreamNonBlocking = 1;     // CU_STREAM_NON_BLOCKING

const std::string kCpuHint =
    "the model was compiled for CUDA GPUs: compile it without --target=cuda "
    "to run it on the CPU";

/// The driver's functions this layer uses.
struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, unsigned, CUstream,
                             void **, void **);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
};

/// The process's CUDA state.
struct State {
  Driver d{};
  std::string initError; // non-empty: init failed, and why
  bool ready = false;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  std::mutex mutex; // guards the caches below
  std::unordered_map<const void *, CUmodule> modules;
  std::unordered_map<CUfunction, std::string> kernelNames;
  std::multimap<size_t, void *> freeBlocks; // cached device memory by size
  std::unordered_map<void *, size_t> blockSizes;
  std::string firstError; // recorded by mgpu* functions, thrown by check
  std::string lastKernel;
};

State &state() {
  static State *s = new State; // never destroyed: used until exit
  return *s;
}

std::string errorText(CUresult r) {
  Driver &d = state().d;
  const char *name = nullptr, *text = nullptr;
  if (d.cuGetErrorName)
    d.cuGetErrorName(r, &name);
  if (d.cuGetErrorString)
    d.cuGetErrorString(r, &text);
  std::string out = name ? name : "CUDA error " + std::to_string(r);
  if (text)
    out += std::string(" (") + text + ")";
  return out;
}

/// "mlp_train_step_k47_matmul_l8" -> "matmul at line 8 of the model".
std::string describeKernel(const std::string &kernel) {
  size_t k = kernel.rfind("_k");
  size_t l = kernel.rfind("_l");
  if (k == std::string::npos || l == std::string::npos || l < k)
    return kernel;
  size_t op = kernel.find('_', k + 2);
  if (op == std::string::npos || op >= l)
    return kernel;
  return kernel + " (" + kernel.substr(op + 1, l - op - 1) + " at line " +
         kernel.substr(l + 2) + " of the model)";
}

/// Records the first error of a call (the mgpu* functions return nothing).
void record(const std::string &message) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.firstError.empty())
    s.firstError = message;
}

bool ok(CUresult r, const char *call) {
  if (r == 0)
    return true;
  record(std::string(call) + " failed: " + errorText(r));
  return false;
}

template <typename Fn>
bool load(void *lib, const char *name, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  return fn != nullptr;
}

void initOnce() {
  State &s = state();
  const char *libName = std::getenv("NNC_LIBCUDA");
  void *lib = dlopen(libName ? libName : "libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    s.initError = "no CUDA driver on this machine (cannot load libcuda.so.1: " +
                  std::string(dlerror()) +
                  "); " + kCpuHint;
    return;
  }
  Driver &d = s.d;
  bool all = load(lib, "cuInit", d.cuInit) &&
             load(lib, "cuDeviceGetCount", d.cuDeviceGetCount) &&
             load(lib, "cuDeviceGet", d.cuDeviceGet) &&
             load(lib, "cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain) &&
             load(lib, "cuCtxSetCurrent", d.cuCtxSetCurrent) &&
             load(lib, "cuStreamCreate", d.cuStreamCreate) &&
             load(lib, "cuStreamSynchronize", d.cuStreamSynchronize) &&
             load(lib, "cuModuleLoadDataEx", d.cuModuleLoadDataEx) &&
             load(lib, "cuModuleGetFunction", d.cuModuleGetFunction) &&
             load(lib, "cuLaunchKernel", d.cuLaunchKernel) &&
             load(lib, "cuMemAlloc_v2", d.cuMemAlloc) &&
             load(lib, "cuMemFree_v2", d.cuMemFree) &&
             load(lib, "cuMemAllocManaged", d.cuMemAllocManaged) &&
             load(lib, "cuMemcpyHtoDAsync_v2", d.cuMemcpyHtoDAsync) &&
             load(lib, "cuMemcpyDtoHAsync_v2", d.cuMemcpyDtoHAsync) &&
             load(lib, "cuGetErrorName", d.cuGetErrorName) &&
             load(lib, "cuGetErrorString", d.cuGetErrorString);
  if (!all) {
    s.initError = "the CUDA driver (libcuda.so.1) lacks a function nnc "
                  "needs: it is too old";
    return;
  }
  CUresult r = d.cuInit(0);
  int count = 0;
  if (r == 0)
    r = d.cuDeviceGetCount(&count);
  if (r != 0 || count == 0) {
    s.initError = "no CUDA device available (" +
                  (r ? errorText(r) : std::string("the driver sees none")) +
                  "); " + kCpuHint;
    return;
  }
  int ordinal = 0;
  if (const char *env = std::getenv("NNC_CUDA_DEVICE"))
    ordinal = std::atoi(env);
  if (ordinal < 0 || ordinal >= count) {
    s.initError = "NNC_CUDA_DEVICE=" + std::to_string(ordinal) +
                  " but the machine has " + std::to_string(count) +
                  " CUDA device(s)";
    return;
  }
  if ((r = d.cuDeviceGet(&s.device, ordinal)) ||
      (r = d.cuDevicePrimaryCtxRetain(&s.context, s.device)) ||
      (r = d.cuCtxSetCurrent(s.context)) ||
      (r = d.cuStreamCreate(&s.stream, kStreamNonBlocking))) {
    s.initError = "cannot set up CUDA device " + std::to_string(ordinal) +
                  ": " + errorText(r);
    return;
  }
  s.ready = true;
}

/// Makes the context current on the calling thread.
void bind() {
  thread_local bool bound = false;
  if (!bound) {
    State &s = state();
    s.d.cuCtxSetCurrent(s.context);
    bound = true;
  }
}

size_t roundUp(size_t bytes) { return (bytes + 511) / 512 * 512; }

} // namespace

void cuda::init() {
  static std::once_flag once;
  std::call_once(once, initOnce);
  State &s = state();
  if (!s.ready)
    throw Error(s.initError);
  bind();
}

void *cuda::allocManaged(size_t bytes) {
  init();
  CUdeviceptr p = 0;
  CUresult r = state().d.cuMemAllocManaged(&p, bytes ? bytes : 1,
                                           kMemAttachGlobal);
  if (r != 0)
    throw Error("cannot allocate " + std::to_string(bytes) +
                " bytes of CUDA managed memory: " + errorText(r));
  std::memset(reinterpret_cast<void *>(p), 0, bytes);
  return reinterpret_cast<void *>(p);
}

void cuda::freeManaged(void *p) {
  if (p && state().ready)
    state().d.cuMemFree(reinterpret_cast<CUdeviceptr>(p));
}

void *cuda::allocDevice(size_t bytes) {
  State &s = state();
  size_t size = roundUp(bytes ? bytes : 1);
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    // Best fit among cached blocks of up to twice the size.
    auto it = s.freeBlocks.lower_bound(size);
    if (it != s.freeBlocks.end() && it->first <= 2 * size) {
      void *p = it->second;
      s.freeBlocks.erase(it);
      return p;
    }
  }
  CUdeviceptr p = 0;
  CUresult r = s.d.cuMemAlloc(&p, size);
  if (r != 0) {
    // Out of memory: give the cache back and try once more.
    std::lock_guard<std::mutex> lock(s.mutex);
    s.d.cuStreamSynchronize(s.stream);
    for (auto &[blockSize, block] : s.freeBlocks) {
      s.d.cuMemFree(reinterpret_cast<CUdeviceptr>(block));
      s.blockSizes.erase(block);
    }
    s.freeBlocks.clear();
    r = s.d.cuMemAlloc(&p, size);
  }
  if (r != 0) {
    record("cannot allocate " + std::to_string(bytes) +
           " bytes of device memory: " + errorText(r));
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(s.mutex);
  s.blockSizes[reinterpret_cast<void *>(p)] = size;
  return reinterpret_cast<void *>(p);
}

void cuda::freeDevice(void *p) {
  if (!p)
    return;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.blockSizes.find(p);
  if (it == s.blockSizes.end())
    return;
  // Every use is ordered on the one stream: the block can be handed out
  // again at once, later work on the stream runs after the current work.
  s.freeBlocks.emplace(it->second, p);
}

void cuda::copyToDevice(void *dst, const void *src, size_t bytes) {
  if (bytes)
    ok(state().d.cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(dst), src,
                                   bytes, state().stream),
       "copying to the device");
}

void cuda::copyToHost(void *dst, const void *src, size_t bytes) {
  if (bytes)
    ok(state().d.cuMemcpyDtoHAsync(dst, reinterpret_cast<CUdeviceptr>(src),
                                   bytes, state().stream),
       "copying to the host");
}

/// What a failed synchronization says: asynchronous errors do not say
/// which kernel failed, the last one launched is the best guess.
static std::string kernelFailed(CUresult r) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return "a kernel failed: " + errorText(r) +
         (s.lastKernel.empty() ? std::string()
                               : "; the last kernel launched was " +
                                     describeKernel(s.lastKernel));
}

void cuda::synchronize(const char *what) {
  State &s = state();
  CUresult r = s.d.cuStreamSynchronize(s.stream);
  std::string error = r ? kernelFailed(r) : std::string();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.firstError.empty())
      error = s.firstError; // the first error is the cause
    s.firstError.clear();
  }
  if (!error.empty())
    throw Error(std::string("CUDA error in ") + what + ": " + error);
}

//===----------------------------------------------------------------------===//
// What nnc's GPU lowering calls (gpu-to-llvm, with the signatures of MLIR
// 19's mlir/lib/ExecutionEngine/CudaRuntimeWrappers.cpp). Copies and
// memsets are not generated (copies are kernels, nnc-gpu-prepare).
//===----------------------------------------------------------------------===//

extern "C" {

/// PTX, compiled by the driver's JIT the first time (the driver caches the
/// result on disk, ~/.nv/ComputeCache); the module is kept for the
/// process, so later launches find it here.
CUmodule mgpuModuleLoadJIT(void *data, int optLevel) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  CUmodule &module = s.modules[data];
  if (module)
    return module;
  char log[8192] = {0};
  int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferBytes,
                   kJitOptimizationLevel};
  void *values[] = {log, reinterpret_cast<void *>(sizeof log - 1),
                    reinterpret_cast<void *>((intptr_t)optLevel)};
  CUresult r = s.d.cuModuleLoadDataEx(&module, data, 3, options, values);
  if (r != 0) {
    module = nullptr;
    if (s.firstError.empty())
      s.firstError = "the driver cannot compile a kernel's PTX: " +
                     errorText(r) + (log[0] ? std::string("\n") + log : "");
  }
  return module;
}

void mgpuModuleUnload(CUmodule) {} // kept for the process

CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  if (!module)
    return nullptr;
  State &s = state();
  CUfunction function = nullptr;
  if (!ok(s.d.cuModuleGetFunction(&function, module, name),
          "finding a kernel"))
    return nullptr;
  std::lock_guard<std::mutex> lock(s.mutex);
  s.kernelNames.emplace(function, name);
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, CUstream stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  State &s = state();
  if (!function)
    return; // the module or function failed: already recorded
  std::string name;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    name = s.kernelNames[function];
    s.lastKernel = name;
  }
  // A grid without blocks (an empty batch dimension) has nothing to do.
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0)
    return;
  CUresult r = s.d.cuLaunchKernel(function, gridX, gridY, gridZ, blockX,
                                  blockY, blockZ, sharedBytes, stream, params,
                                  extra);
  if (r != 0)
    record("launching kernel " + describeKernel(name) + ": " + errorText(r));
}

/// The process's stream (nnc_create set CUDA up before any entry point
/// can run).
CUstream mgpuStreamCreate() { return state().stream; }

void mgpuStreamDestroy(CUstream) {} // the process's stream

void mgpuStreamSynchronize(CUstream stream) {
  if (CUresult r = state().d.cuStreamSynchronize(stream))
    record(kernelFailed(r));
}

void *mgpuMemAlloc(uint64_t bytes, CUstream, bool /*isHostShared*/) {
  return cuda::allocDevice(bytes);
}

void mgpuMemFree(void *ptr, CUstream) { cuda::freeDevice(ptr); }

} // extern "C"
