//===- Distributed.cpp - one process, unless the MPI layer is linked ------===//
#include "runtime/main/Distributed.h"

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

void nnc::exe::startCommunicator(int *argc, char ***argv) {
  if (nnc_exe_mpi_communicator)
    if (Communicator *c = nnc_exe_mpi_communicator(argc, argv))
      current().reset(c);
}

Communicator &nnc::exe::communicator() { return *current(); }

void nnc::exe::stopCommunicator() { current() = std::make_unique<Communicator>(); }
