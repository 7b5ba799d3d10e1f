//===- Distributed.h - the processes of a data-parallel run -----*- C++ -*-===//
//
// An executable compiled with `nnc --distributed=mpi` links the runtime's
// MPI layer (runtime/mpi/), which defines nnc_exe_mpi_communicator; under
// a launcher (mpirun, srun) its communicator joins the job's processes.
// Every other executable, or one started without a launcher, is one
// process: rank 0 of 1, and the collectives below are no-ops.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_MAIN_DISTRIBUTED_H
#define NNC_RUNTIME_MAIN_DISTRIBUTED_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::exe {

/// Samples [first, first + count) of `n` that `rank` of `size` takes:
/// contiguous, the first n % size ranks one more.
struct Share {
  int64_t first, count;
};
inline Share shareOf(int64_t n, int rank, int size) {
  int64_t base = n / size, extra = n % size;
  return {rank * base + std::min<int64_t>(rank, extra),
          base + (rank < extra ? 1 : 0)};
}

class Communicator {
public:
  virtual ~Communicator() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  /// The processes of the job on this machine (this one included).
  virtual int localSize() const { return 1; }
  /// Sums `values` over the processes, in place; every process gets the
  /// sums.
  virtual void sum(double *values, size_t n) { (void)values, (void)n; }
  /// This process's share of the next training step's global batch of
  /// `batch` samples: its gradients' weight in the step's all-reduce
  /// (count / batch), and where its rows start (dropout's masks).
  virtual void setShare(Share share, int64_t batch) {
    (void)share, (void)batch;
  }
  /// Rank 0 gets every process's `bytes`, in rank order; the others an
  /// empty string.
  virtual std::string gather(const std::string &bytes) { return bytes; }
  /// Ends every process of the job with `status` (after an error here).
  virtual void abort(int status) { (void)status; }
};

/// Whether the runtime's MPI layer is linked (nnc --distributed=mpi).
bool distributedBuild();

/// Starts the run's communicator (MPI_Init under a launcher); at most once.
void startCommunicator(int *argc, char ***argv);
/// The run's communicator (one process until startCommunicator).
Communicator &communicator();
/// Ends it (MPI_Finalize) at a normal exit.
void stopCommunicator();

/// Rank 0 of the job (or the only process): prints and writes files.
inline bool isRoot() { return communicator().rank() == 0; }

} // namespace nnc::exe

#endif // NNC_RUNTIME_MAIN_DISTRIBUTED_H
