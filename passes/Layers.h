//===- Layers.h - the model's layers, for summaries ------------*- C++ -*-===//
//
// The ops that one source statement (one location) built form a layer; this
// groups the graph's ops so, with parameter counts, output shapes and
// per-sample costs. Used by nnc-describe-model (the executable's `summary`)
// and the driver's `--emit=summary`.
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
  double flops = 0;        // forward FLOPs per sample
  int64_t activations = 0; // elements per sample of the values it computes
};

/// The layers of `graph` in order; `module` holds its variables.
std::vector<LayerInfo> collectLayers(mlir::ModuleOp module,
                                     mlir::func::FuncOp graph);

} // namespace nnc

#endif // NNC_PASSES_LAYERS_H
