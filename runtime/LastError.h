//===- LastError.h - the C ABI's per-thread error message -------*- C++ -*-===//
#ifndef NNC_RUNTIME_LASTERROR_H
#define NNC_RUNTIME_LASTERROR_H

#include <string>

namespace nnc::rt {

/// Sets what nnc_last_error() returns on this thread, for C ABI functions
/// defined outside Model.cpp (which owns the message).
void setLastError(const std::string &message);

} // namespace nnc::rt

#endif // NNC_RUNTIME_LASTERROR_H
