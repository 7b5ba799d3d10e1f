//===- Alloc.cpp - the allocator of compiled code's temporaries -----------===//
//
// Compiled code allocates its temporaries (activations kept for the
// backward pass, gradients, a convolution's windows, packed panels) on
// every call and frees them before returning. The CPU pipeline lowers
// memref.alloc/dealloc to these functions
// (finalize-memref-to-llvm{use-generic-functions}), which keep freed blocks
// for the next call of the same shape, so that a call that repeats the
// previous one (every training step, every predict of the same batch size)
// allocates nothing new: the model's workspace, reused.
//  - Large blocks (>= 64 KiB) go to one free list per size, shared by the
//    threads (a mutex; their cost is the memory, not the lock). glibc gives
//    them back to the kernel on free (mmap'd chunks, heap trimming), after
//    which each call paid a page fault and a page clear per 4 KiB: about
//    half of a training step of examples/cnn.nn.
//  - Small blocks go to the freeing thread's own free lists (no lock):
//    malloc/free of the 5 small blocks of a batch-1 predict of
//    examples/mlp.nn cost ~6% of it.
// Each block carries a header before it (its size, its alignment, a
// mark), so a free needs no lookup. Both caches are bounded; beyond them,
// blocks are freed. A pointer without the mark (not from here) is passed
// to free().
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {
constexpr size_t kAlignment = 64;
constexpr size_t kLarge = 64 << 10;          // shared cache from this size on
constexpr size_t kMaxCached = 1ull << 30;    // large bytes kept free at most
constexpr size_t kMaxThreadCached = 8 << 20; // small bytes per thread
constexpr uint64_t kMark = 0x6e6e632e616c6c63; // "nnc.allc"

/// Just before each block; the block's alignment is also the offset of
/// the block from what aligned_alloc returned.
struct Header {
  uint64_t size;      // rounded up to the alignment
  uint64_t alignment; // >= kAlignment
  uint64_t mark;
};
static_assert(sizeof(Header) <= kAlignment, "the header fits the offset");

Header &header(void *p) {
  return reinterpret_cast<Header *>(p)[-1];
}

void *allocate(size_t alignment, size_t size) {
  char *raw = static_cast<char *>(std::aligned_alloc(alignment, size + alignment));
  if (!raw)
    return nullptr;
  void *p = raw + alignment;
  header(p) = {size, alignment, kMark};
  return p;
}

void release(void *p) {
  std::free(static_cast<char *>(p) - header(p).alignment);
}

using FreeLists = std::unordered_map<size_t, std::vector<void *>>;

struct SharedCache {
  std::mutex mutex;
  FreeLists free;
  size_t bytes = 0;
};

SharedCache &shared() {
  static SharedCache *c = new SharedCache; // never destroyed: threads may free late
  return *c;
}

/// A thread's small blocks, freed when the thread ends; after that (a free
/// during the thread's own teardown) blocks go straight back to malloc.
struct ThreadCache {
  FreeLists free;
  size_t bytes = 0;
  ~ThreadCache() {
    for (auto &[size, blocks] : free)
      for (void *p : blocks)
        release(p);
    ended = true;
  }
  static thread_local bool ended;
};
thread_local bool ThreadCache::ended = false;

ThreadCache *threadCache() {
  static thread_local ThreadCache cache;
  return ThreadCache::ended ? nullptr : &cache;
}

void *takeFrom(FreeLists &lists, size_t &bytes, size_t size) {
  auto it = lists.find(size);
  if (it == lists.end() || it->second.empty())
    return nullptr;
  void *p = it->second.back();
  it->second.pop_back();
  bytes -= size;
  return p;
}

bool keepIn(FreeLists &lists, size_t &bytes, size_t limit, void *p,
            size_t size) {
  if (bytes + size > limit)
    return false;
  lists[size].push_back(p);
  bytes += size;
  return true;
}
} // namespace

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment,
                                                    uint64_t size) {
  size_t align = alignment > kAlignment ? alignment : kAlignment;
  size_t rounded = (size + align - 1) / align * align;
  if (rounded == 0)
    rounded = align;
  if (align != kAlignment) // rare: not cached
    return allocate(align, rounded);
  if (rounded < kLarge) {
    if (ThreadCache *c = threadCache())
      if (void *p = takeFrom(c->free, c->bytes, rounded))
        return p;
  } else {
    SharedCache &c = shared();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (void *p = takeFrom(c.free, c.bytes, rounded))
      return p;
  }
  return allocate(align, rounded);
}

extern "C" void *_mlir_memref_to_llvm_alloc(uint64_t size) {
  return _mlir_memref_to_llvm_aligned_alloc(kAlignment, size);
}

extern "C" void _mlir_memref_to_llvm_free(void *p) {
  if (!p)
    return;
  if (header(p).mark != kMark) { // not from here
    std::free(p);
    return;
  }
  const Header &h = header(p);
  if (h.alignment == kAlignment) {
    if (h.size < kLarge) {
      ThreadCache *c = threadCache();
      if (c && keepIn(c->free, c->bytes, kMaxThreadCached, p, h.size))
        return;
    } else {
      SharedCache &c = shared();
      std::lock_guard<std::mutex> lock(c.mutex);
      if (keepIn(c.free, c.bytes, kMaxCached, p, h.size))
        return;
    }
  }
  release(p);
}
