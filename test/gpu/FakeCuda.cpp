//===- FakeCuda.cpp - a stand-in libcuda.so.1 for tests without a GPU -----===//
//
// Loaded by the runtime instead of NVIDIA's driver (NNC_LIBCUDA=path), it
// lets CI exercise the host side of a --target=cuda model: driver loading
// and errors, module loading and caching, kernel lookup, launches,
// staging copies and the caching allocator. Device memory is host memory;
// kernels do not run (their outputs keep whatever the memory held).
//
// FAKE_CUDA_MODE: "ok" (default), "nodevice" (the driver sees no GPU),
// "launchfail" (every launch fails with CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES),
// "syncfail" (the stream reports CUDA_ERROR_ILLEGAL_ADDRESS).
// At exit, with FAKE_CUDA_STATS set, prints the calls it counted to stderr.
//
//===----------------------------------------------------------------------===//
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <set>
#include <string>

namespace {
std::string mode() {
  const char *m = std::getenv("FAKE_CUDA_MODE");
  return m ? m : "ok";
}

struct Stats {
  int moduleLoads = 0, launches = 0, allocs = 0, frees = 0, copies = 0,
      syncs = 0;
  std::set<std::string> kernels;
  std::set<void *> live; // cuMemAlloc'd and not freed
  ~Stats() {
    if (std::getenv("FAKE_CUDA_STATS"))
      std::fprintf(stderr,
                   "fake-cuda: module loads %d, kernels %zu, launches %d, "
                   "allocations %d, frees %d, copies %d, syncs %d\n",
                   moduleLoads, kernels.size(), launches, allocs, frees,
                   copies, syncs);
  }
} stats;

struct Function {
  std::string name;
};
} // namespace

extern "C" {
// The driver API's own types (cuda.h): the runtime calls these through
// pointers of those types, which UBSan's -fsanitize=function checks.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;

CUresult cuInit(unsigned) { return 0; }
CUresult cuDeviceGetCount(int *n) {
  *n = mode() == "nodevice" ? 0 : 1;
  return 0;
}
CUresult cuDeviceGet(CUdevice *d, int) {
  *d = 0;
  return 0;
}
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice) {
  static int context;
  *ctx = reinterpret_cast<CUcontext>(&context);
  return 0;
}
CUresult cuCtxSetCurrent(CUcontext) { return 0; }
CUresult cuStreamCreate(CUstream *stream, unsigned) {
  static int s;
  *stream = reinterpret_cast<CUstream>(&s);
  return 0;
}
CUresult cuStreamSynchronize(CUstream) {
  ++stats.syncs;
  return mode() == "syncfail" && stats.launches > 0 ? 700 : 0;
}
CUresult cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned,
                            int *, void **) {
  ++stats.moduleLoads;
  if (!std::strstr(static_cast<const char *>(image), ".entry"))
    return 218; // CUDA_ERROR_INVALID_PTX
  *module = reinterpret_cast<CUmodule>(const_cast<void *>(image));
  return 0;
}
CUresult cuModuleGetFunction(CUfunction *function, CUmodule module,
                             const char *name) {
  std::string entry = std::string(".entry ") + name + "(";
  if (!std::strstr(reinterpret_cast<const char *>(module), entry.c_str()))
    return 500; // CUDA_ERROR_NOT_FOUND
  stats.kernels.insert(name);
  static std::list<Function> functions; // kept, as a driver keeps them
  functions.push_back({name});
  *function = reinterpret_cast<CUfunction>(&functions.back());
  return 0;
}
CUresult cuLaunchKernel(CUfunction, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned,
                        CUstream, void **params, void **) {
  ++stats.launches;
  if (!gx || !gy || !gz || !bx || !by || !bz || bx * by * bz > 1024 || !params)
    return 1; // CUDA_ERROR_INVALID_VALUE
  return mode() == "launchfail" ? 701 : 0;
}
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
  ++stats.allocs;
  void *m = std::calloc(1, bytes);
  stats.live.insert(m);
  *p = reinterpret_cast<CUdeviceptr>(m);
  return m ? 0 : 2;
}
CUresult cuMemAllocManaged(CUdeviceptr *p, size_t bytes, unsigned) {
  return cuMemAlloc_v2(p, bytes);
}
CUresult cuMemFree_v2(CUdeviceptr p) {
  void *m = reinterpret_cast<void *>(p);
  if (!stats.live.erase(m))
    return 1; // not ours, or freed twice
  ++stats.frees;
  std::free(m);
  return 0;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n,
                              CUstream) {
  ++stats.copies;
  std::memcpy(reinterpret_cast<void *>(dst), src, n);
  return 0;
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n,
                              CUstream) {
  ++stats.copies;
  std::memcpy(dst, reinterpret_cast<void *>(src), n);
  return 0;
}
CUresult cuGetErrorName(CUresult r, const char **name) {
  static const std::map<int, const char *> names = {
      {1, "CUDA_ERROR_INVALID_VALUE"},
      {2, "CUDA_ERROR_OUT_OF_MEMORY"},
      {218, "CUDA_ERROR_INVALID_PTX"},
      {500, "CUDA_ERROR_NOT_FOUND"},
      {700, "CUDA_ERROR_ILLEGAL_ADDRESS"},
      {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"}};
  auto it = names.find(r);
  *name = it == names.end() ? "CUDA_ERROR_UNKNOWN" : it->second;
  return 0;
}
CUresult cuGetErrorString(CUresult, const char **text) {
  *text = "fake driver";
  return 0;
}
} // extern "C"
