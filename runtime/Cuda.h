//===- Cuda.h - the CUDA driver layer (runtime-internal) --------*- C++ -*-===//
//
// Models compiled with --target=cuda call MLIR's mgpu* functions (module
// load, launch, allocation, streams), which runtime/Cuda.cpp implements
// over the CUDA driver API, loaded at run time with
// dlopen("libcuda.so.1"): nothing links against CUDA, and a machine
// without a driver gets a clear error instead of a loader failure.
//
// Everything runs on one stream per process; device temporaries come
// from a caching allocator on that stream (reuse is ordered by the
// stream). Errors are recorded, with the kernel's op and source line
// (from the kernel's name, see codegen/GpuNameKernels.cpp), and thrown
// as nnc::rt::Error by check().
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_CUDA_H
#define NNC_RUNTIME_CUDA_H

#include <cstddef>
#include <string>

namespace nnc::rt::cuda {

/// Loads the driver and sets up device 0 (NNC_CUDA_DEVICE picks another),
/// its primary context and the stream. Throws Error saying why when there
/// is no driver or no device. Cheap after the first call.
void init();

/// Memory visible to the host and the device (cuMemAllocManaged): the
/// model's variables, so that initialization and checkpoints read and
/// write them directly. Zeroed.
void *allocManaged(size_t bytes);
void freeManaged(void *p);

/// Device memory from the caching allocator.
void *allocDevice(size_t bytes);
void freeDevice(void *p);

/// Copies on the stream (asynchronous with respect to the host).
void copyToDevice(void *dst, const void *src, size_t bytes);
void copyToHost(void *dst, const void *src, size_t bytes);

/// Waits for the stream; then throws the first error recorded since the
/// last check, if any, prefixed with `what` ("train_step").
void synchronize(const char *what);

} // namespace nnc::rt::cuda

#endif // NNC_RUNTIME_CUDA_H
