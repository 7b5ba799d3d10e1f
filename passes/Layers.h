//===- Layers.h - the model's layers, for summaries ------------*- C++ -*-===//
//
// The ops that one source statement (one location) built form a layer; this
// groups the graph's ops so, with parameter counts and output shapes. Used
// by nnc-describe-model (the executable's `summary`) and by the driver's
// `--emit=summary` (Summary.cpp, which counts a training step's costs).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_PASSES_LAYERS_H
#define NNC_PASSES_LAYERS_H

#include "ir/NncOps.h"

#include <string>
#include <vector>

namespace nnc {

struct LayerInfo {
  explicit LayerInfo(mlir::Location loc) : loc(loc) {}
  std::string name; // the parameters' prefix, or "<op>_<n>"
  std::string op;   // dense, conv2d, maxpool2d, flatten, ...
  mlir::RankedTensorType type; // of the layer's output (batch dim dynamic)
  mlir::Location loc;          // of its ops (shared by calls of one block)
  unsigned line = 0;
  int64_t params = 0;      // trainable elements
  int64_t state = 0;       // non-trainable variable elements
};

/// The layers of `graph` in order; `module` holds its variables.
std::vector<LayerInfo> collectLayers(mlir::ModuleOp module,
                                     mlir::func::FuncOp graph);

} // namespace nnc

#endif // NNC_PASSES_LAYERS_H
