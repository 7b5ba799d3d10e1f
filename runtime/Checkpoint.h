//===- Checkpoint.h - safetensors checkpoints (C++ side) --------*- C++ -*-===//
//
// What nnc_save/nnc_load do, for the runtime's own C++ callers (the model
// executable's main), which also need the checkpoint's metadata back.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_CHECKPOINT_H
#define NNC_RUNTIME_CHECKPOINT_H

#include "runtime/nnc_runtime.h"

#include <map>
#include <string>

namespace nnc::rt {

/// A checkpoint's metadata: safetensors' "__metadata__" string pairs.
using Metadata = std::map<std::string, std::string>;

/// The hash that ties checkpoints to a model: the description's
/// "source_hash", or else an FNV-1a hash of the description text.
std::string modelHash(const nnc_model *m);

/// Writes every variable of `m` under its name to `path` in safetensors
/// format, atomically. The metadata holds "model", "step", "seed" and
/// "source_hash", then `extra`'s pairs. Throws rt::Error.
void saveCheckpoint(nnc_model *m, const std::string &path,
                    const Metadata &extra);

/// Reads a checkpoint of `m`'s model into `m` (every variable, the step and
/// the seed) and returns its metadata. Everything is checked before
/// anything is copied (the safetensors reference loader's checks, the
/// model's names, dtypes and shapes, and finite values unless
/// `allowNonFinite`): on error (rt::Error, naming `path`) `m` is unchanged.
Metadata loadCheckpoint(nnc_model *m, const std::string &path,
                        bool allowNonFinite = false);

} // namespace nnc::rt

#endif // NNC_RUNTIME_CHECKPOINT_H
