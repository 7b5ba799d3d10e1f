//===- Mpi.cpp - the MPI layer of data-parallel executables ---------------===//
//
// Linked (whole) into executables compiled with `nnc --distributed=mpi`,
// with the system's MPI library (Open MPI on Debian). Two parts:
//
// - nnc_exe_mpi_communicator: the job's processes for the train, eval and
//   predict commands (runtime/main/Distributed.h), when a launcher
//   started this process; otherwise null, and the executable runs alone.
// - nnc_rt_grad_ready / nnc_rt_grad_wait: what the compiled training step
//   calls around each gradient (codegen/GradAllreduce.cpp). A gradient,
//   weighted by this process's share of the batch, is copied into its
//   bucket; the bucket's sum over the processes (MPI_Iallreduce) starts
//   when its last gradient is in, while the backward goes on, and each
//   gradient is copied back out after the wait, before its update. A
//   gradient with a bucket of its own (one larger than the bucket size)
//   is weighted and summed in place, without the copies. Every process
//   runs the same compiled step, so the buckets start in the same order
//   everywhere.
//
// MPI's default error handler (MPI_ERRORS_ARE_FATAL) ends the whole job
// on a communication failure; a process that dies makes the launcher end
// the others.
//
//===----------------------------------------------------------------------===//
#include "runtime/main/Distributed.h"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using nnc::exe::Communicator;

namespace {
/// A bucket of gradients: a staging buffer summed in place.
struct Bucket {
  std::vector<char> data;
  int64_t size = 0, filled = 0, drained = 0;
  int dtype = 0; // NNC_F32 = 0, NNC_F64 = 1
  MPI_Request request = MPI_REQUEST_NULL;
};

struct State {
  int rank = 0, size = 1;
  double weight = 1;
  int64_t offset = 0; // of this process's first sample in the batch
  std::vector<Bucket> buckets;
};

State &state() {
  static State s;
  return s;
}

size_t elementSize(int dtype) { return dtype == 1 ? 8 : 4; }

/// Lets started all-reduces move on (MPI progresses inside MPI calls).
void progress(State &s) {
  for (Bucket &b : s.buckets)
    if (b.request != MPI_REQUEST_NULL) {
      int done = 0;
      MPI_Test(&b.request, &done, MPI_STATUS_IGNORE);
    }
}

class MpiCommunicator : public Communicator {
public:
  MpiCommunicator() {
    State &s = state();
    MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &s.size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, s.rank,
                        MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &localProcesses);
    MPI_Comm_free(&local);
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
      MPI_Finalize();
  }
  int rank() const override { return state().rank; }
  int size() const override { return state().size; }
  int localSize() const override { return localProcesses; }
  void sum(double *values, size_t n) override {
    MPI_Allreduce(MPI_IN_PLACE, values, (int)n, MPI_DOUBLE, MPI_SUM,
                  MPI_COMM_WORLD);
  }
  void setShare(nnc::exe::Share share, int64_t batch) override {
    state().weight = (double)share.count / (double)batch;
    state().offset = share.first;
  }
  std::string gather(const std::string &bytes) override {
    int size = state().size, mine = (int)bytes.size();
    std::vector<int> counts(size), offsets(size);
    MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0,
               MPI_COMM_WORLD);
    std::string all;
    if (state().rank == 0) {
      long total = 0;
      for (int r = 0; r < size; ++r) {
        offsets[r] = (int)total;
        total += counts[r];
      }
      all.resize(total);
    }
    MPI_Gatherv(bytes.data(), mine, MPI_CHAR, all.data(), counts.data(),
                offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
    return all;
  }
  void abort(int status) override { MPI_Abort(MPI_COMM_WORLD, status); }

private:
  int localProcesses = 1;
};

/// Whether a launcher started this process (Open MPI, PMIx, PMI/Slurm,
/// MPICH's Hydra).
bool launched() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                           "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (std::getenv(name))
      return true;
  return false;
}
} // namespace

extern "C" Communicator *nnc_exe_mpi_communicator(int *argc, char ***argv) {
  if (!launched())
    return nullptr;
  int provided = 0;
  // Only the main thread calls MPI (the compiled step calls the gradient
  // functions from its top level, never from a parallel region).
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
      MPI_SUCCESS) {
    std::fprintf(stderr, "error: MPI_Init failed\n");
    std::exit(1);
  }
  return new MpiCommunicator();
}

/// Where this process's rows start in the global batch (dropout's masks,
/// codegen/LowerTraining.cpp).
extern "C" int64_t nnc_rt_sample_offset() { return state().offset; }

extern "C" void nnc_rt_grad_ready(int64_t bucket, int64_t offset,
                                  int64_t count, int64_t bucketSize,
                                  int64_t dtype, int64_t address) {
  State &s = state();
  if (s.size == 1)
    return; // one process: the gradient is the batch's already
  if ((size_t)bucket >= s.buckets.size())
    s.buckets.resize(bucket + 1);
  Bucket &b = s.buckets[bucket];
  // A bucket of one gradient (a large one) is summed in the gradient's own
  // buffer; the others are packed into the bucket's.
  bool alone = count == bucketSize;
  size_t element = elementSize((int)dtype);
  if (!alone && b.data.size() != (size_t)bucketSize * element)
    b.data.assign((size_t)bucketSize * element, 0);
  b.size = bucketSize;
  b.dtype = (int)dtype;
  void *sum = alone ? reinterpret_cast<void *>(address)
                    : b.data.data() + offset * element;
  // Weighted: the sum over the processes is the global batch's mean.
  if (dtype == 1) {
    auto *from = reinterpret_cast<const double *>(address);
    auto *to = static_cast<double *>(sum);
    for (int64_t i = 0; i < count; ++i)
      to[i] = from[i] * s.weight;
  } else {
    auto *from = reinterpret_cast<const float *>(address);
    auto *to = static_cast<float *>(sum);
    float w = (float)s.weight;
    for (int64_t i = 0; i < count; ++i)
      to[i] = from[i] * w;
  }
  b.filled += count;
  progress(s);
  if (b.filled == b.size)
    MPI_Iallreduce(MPI_IN_PLACE, alone ? sum : b.data.data(), (int)b.size,
                   dtype == 1 ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM,
                   MPI_COMM_WORLD, &b.request);
}

extern "C" void nnc_rt_grad_wait(int64_t bucket, int64_t offset,
                                 int64_t count, int64_t, int64_t dtype,
                                 int64_t address) {
  State &s = state();
  if (s.size == 1)
    return;
  Bucket &b = s.buckets.at(bucket);
  if (b.request != MPI_REQUEST_NULL)
    MPI_Wait(&b.request, MPI_STATUS_IGNORE);
  size_t element = elementSize((int)dtype);
  if (count != b.size) // packed: copied back out
    std::memcpy(reinterpret_cast<void *>(address),
                b.data.data() + offset * element, count * element);
  b.drained += count;
  if (b.drained == b.size)
    b.filled = b.drained = 0; // ready for the next step
}
