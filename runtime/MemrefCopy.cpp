//===- MemrefCopy.cpp - the copy that MLIR's lowering calls ---------------===//
//
// finalize-memref-to-llvm lowers memref.copy between non-contiguous memrefs
// to a call of `memrefCopy`, which MLIR keeps in libmlir_c_runner_utils.
// Compiled models must not need that library, so the runtime has its own,
// with the same signature (mlir/ExecutionEngine/CRunnerUtils.h).
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstring>
#include <vector>

namespace {
/// An unranked memref: the rank and a pointer to the ranked descriptor
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

struct View {
  char *aligned;
  int64_t offset;
  const int64_t *sizes, *strides;
  View(const UnrankedMemRef &m) {
    auto *d = static_cast<char *>(m.descriptor);
    aligned = *reinterpret_cast<char **>(d + sizeof(void *));
    offset = *reinterpret_cast<int64_t *>(d + 2 * sizeof(void *));
    sizes = reinterpret_cast<int64_t *>(d + 2 * sizeof(void *) + 8);
    strides = sizes + m.rank;
  }
};
} // namespace

extern "C" void memrefCopy(int64_t elemSize, UnrankedMemRef *src,
                           UnrankedMemRef *dst) {
  int64_t rank = src->rank;
  View s(*src), d(*dst);
  if (rank == 0) {
    std::memcpy(d.aligned + d.offset * elemSize,
                s.aligned + s.offset * elemSize, elemSize);
    return;
  }
  for (int64_t i = 0; i < rank; ++i)
    if (s.sizes[i] == 0)
      return;
  // Merge trailing dims that are contiguous on both sides into one run,
  // so that a padded copy is one memcpy per row, not per element group.
  int64_t merged = rank - 1; // first dim of the contiguous run
  int64_t inner = s.sizes[rank - 1];
  bool contiguous = s.strides[rank - 1] == 1 && d.strides[rank - 1] == 1;
  while (contiguous && merged > 0 &&
         s.strides[merged - 1] == inner && d.strides[merged - 1] == inner) {
    --merged;
    inner *= s.sizes[merged];
  }
  rank = merged + 1; // iterate over the dims before the run
  std::vector<int64_t> index(rank, 0);
  while (true) {
    int64_t so = s.offset, dof = d.offset;
    for (int64_t i = 0; i < rank - 1; ++i) {
      so += index[i] * s.strides[i];
      dof += index[i] * d.strides[i];
    }
    if (contiguous) {
      std::memcpy(d.aligned + dof * elemSize, s.aligned + so * elemSize,
                  inner * elemSize);
    } else {
      for (int64_t k = 0; k < inner; ++k)
        std::memcpy(d.aligned + (dof + k * d.strides[rank - 1]) * elemSize,
                    s.aligned + (so + k * s.strides[rank - 1]) * elemSize,
                    elemSize);
    }
    int64_t i = rank - 2;
    for (; i >= 0; --i) {
      if (++index[i] < s.sizes[i])
        break;
      index[i] = 0;
    }
    if (i < 0)
      return;
  }
}
