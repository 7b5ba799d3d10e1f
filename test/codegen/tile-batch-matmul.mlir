// RUN: nnc-opt %s -nnc-tile-and-vectorize="vector-bits=512" | FileCheck %s

// A batched matmul (attention's scores q kᵀ, [N, 28, 16] x [N, 16, 28]):
// one sample per thread iteration, then register tiles of tile-m (8) rows
// by the 28 columns over a K loop of tile-k (4) steps, the 4 rows left in
// a peeled tile, rather than one vector contraction over all of
// 28 x 28 x 16 per sample.

// CHECK-LABEL: func.func @attention_scores(
// CHECK:         scf.forall (%{{.*}}) in (%{{.*}})
// CHECK:           scf.for %{{.*}} = %c0 to %c24 step %c8
// CHECK:             scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK:               vector.contract {{.*}} : vector<1x8x28x4xf32>, vector<1x8x28x4xf32> into vector<1x8x28xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK:             vector.contract {{.*}} : vector<1x4x28x4xf32>, vector<1x4x28x4xf32> into vector<1x4x28xf32>
// CHECK-NOT:     vector<1x28x28x16xf32>
func.func @attention_scores(%q: tensor<?x28x16xf32>, %k: tensor<?x16x28xf32>) -> tensor<?x28x28xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = tensor.dim %q, %c0 : tensor<?x28x16xf32>
  %e = tensor.empty(%n) : tensor<?x28x28xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?x28x28xf32>) -> tensor<?x28x28xf32>
  %r = linalg.batch_matmul ins(%q, %k : tensor<?x28x16xf32>, tensor<?x16x28xf32>) outs(%z : tensor<?x28x28xf32>) -> tensor<?x28x28xf32>
  return %r : tensor<?x28x28xf32>
}
