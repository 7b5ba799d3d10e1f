//===- Alloc.cpp - the allocator of compiled code's temporaries -----------===//
//
// Compiled code allocates its temporaries (activations kept for the
// backward pass, gradients, a convolution's windows) on every call and
// frees them before returning. glibc gives large blocks back to the kernel
// on free (mmap'd chunks, heap trimming), so each call then paid a page
// fault and a page clear per 4 KiB: about half of a training step of
// examples/cnn.nn. The CPU pipeline lowers memref.alloc/dealloc to these
// functions (finalize-memref-to-llvm{use-generic-functions}), which keep
// freed large blocks in a free list per size: a call that repeats the
// previous one (every training step) allocates nothing new. Small blocks go
// to malloc, which already reuses them. The cache is bounded; beyond it,
// blocks are freed.
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {
constexpr size_t kLarge = 64 << 10;    // cached from this size on
constexpr size_t kMaxCached = 1ull << 30; // bytes kept free at most
constexpr size_t kAlignment = 64;

struct Cache {
  std::mutex mutex;
  std::unordered_map<void *, size_t> sizes;            // large blocks
  std::unordered_map<size_t, std::vector<void *>> free; // by size
  size_t freeBytes = 0;
};

Cache &cache() {
  static Cache *c = new Cache; // never destroyed: threads may free late
  return *c;
}
} // namespace

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment,
                                                    uint64_t size) {
  size_t align = alignment > kAlignment ? alignment : kAlignment;
  size_t rounded = (size + align - 1) / align * align;
  if (rounded == 0)
    rounded = align;
  if (rounded < kLarge)
    return std::aligned_alloc(align, rounded);
  Cache &c = cache();
  if (align == kAlignment) {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.find(rounded);
    if (it != c.free.end() && !it->second.empty()) {
      void *p = it->second.back();
      it->second.pop_back();
      c.freeBytes -= rounded;
      return p;
    }
  }
  void *p = std::aligned_alloc(align, rounded);
  if (p) {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.sizes[p] = rounded;
  }
  return p;
}

extern "C" void *_mlir_memref_to_llvm_alloc(uint64_t size) {
  return _mlir_memref_to_llvm_aligned_alloc(kAlignment, size);
}

extern "C" void _mlir_memref_to_llvm_free(void *p) {
  if (!p)
    return;
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.sizes.find(p);
    if (it != c.sizes.end()) {
      if (c.freeBytes + it->second <= kMaxCached) {
        c.free[it->second].push_back(p);
        c.freeBytes += it->second;
        return;
      }
      c.sizes.erase(it);
    }
  }
  std::free(p);
}
