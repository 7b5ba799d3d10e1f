//===- Distributed.cpp - one process, unless the MPI layer is linked ------===//
#include "runtime/main/Distributed.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

using namespace nnc::exe;

/// Defined by runtime/mpi/ (libnnc_mpi.a, linked whole by nnc
/// --distributed=mpi): the job's communicator, or null when the process
/// was not started by a launcher.
extern "C" __attribute__((weak)) Communicator *
nnc_exe_mpi_communicator(int *argc, char ***argv);

static std::unique_ptr<Communicator> &current() {
  static std::unique_ptr<Communicator> c = std::make_unique<Communicator>();
  return c;
}

/// The size of the job a launcher started this process in (Open MPI's
/// mpirun, PMI, Slurm), or 0.
static long launchedProcesses() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"})
    if (const char *value = std::getenv(name))
      return std::atol(value);
  return 0;
}

void nnc::exe::startCommunicator(int *argc, char ***argv) {
  if (nnc_exe_mpi_communicator) {
    if (Communicator *c = nnc_exe_mpi_communicator(argc, argv))
      current().reset(c);
    return;
  }
  // A plain executable under mpirun: every process would train alone on
  // all the data, each writing the same files. Said once, by the first.
  const char *rank = std::getenv("OMPI_COMM_WORLD_RANK");
  if (!rank)
    rank = std::getenv("PMI_RANK");
  if (launchedProcesses() > 1 && (!rank || std::atol(rank) == 0))
    std::fprintf(stderr,
                 "note: %ld processes were launched, but this executable was "
                 "compiled without --distributed=mpi: each trains alone "
                 "(nnc MODEL.nn --distributed=mpi for data-parallel "
                 "training)\n",
                 launchedProcesses());
}

bool nnc::exe::distributedBuild() {
  return nnc_exe_mpi_communicator != nullptr;
}

Communicator &nnc::exe::communicator() { return *current(); }

void nnc::exe::stopCommunicator() { current() = std::make_unique<Communicator>(); }
