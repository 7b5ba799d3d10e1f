//===- BatchParts.h - a batch split in fixed parts among threads -*- C++ -*-===//
//
// Codegen-internal: sums over the batch (filter and bias gradients, a
// loss's mean, batchnorm's statistics) computed as kBatchParts partial
// results, one per iteration of an scf.forall, then added up in a fixed
// order. Used by nnc-tile-and-vectorize and nnc-route-pool-gradients.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CODEGEN_BATCHPARTS_H
#define NNC_CODEGEN_BATCHPARTS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

#include <tuple>

namespace nnc {

/// The parts of the batch that a sum over the batch splits among threads,
/// each with a partial result of its own: at most this many threads work
/// on one. Fixed, not the thread count: the summation order, and so the
/// result, does not depend on how many threads run it.
constexpr int64_t kBatchParts = 4;

/// `init` (when given) plus the kBatchParts rows of `all` ([kBatchParts,
/// ...row]) in the parts' order: one elementwise op, bounded and
/// vectorized as such.
mlir::Value addParts(mlir::OpBuilder &b, mlir::Location loc, mlir::Value all,
                     mlir::RankedTensorType row,
                     mlir::Value init = mlir::Value());

/// An scf.forall over kBatchParts parts of a batch of `n` samples, with
/// `inits` as its shared outputs and `work` as its nnc.parallel_work hint;
/// the rewriter is left at the start of its body. Returns the loop and
/// its part's samples [first, last) (empty for the parts past the batch).
std::tuple<mlir::scf::ForallOp, mlir::Value, mlir::Value>
overBatchParts(mlir::RewriterBase &rw, mlir::Location loc, mlir::Value n,
               mlir::ValueRange inits, mlir::Value work);

} // namespace nnc

#endif // NNC_CODEGEN_BATCHPARTS_H
