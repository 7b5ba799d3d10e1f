// RUN: nnc-opt %s -nnc-tile-and-vectorize="vector-bits=512" | FileCheck %s
// RUN: nnc-opt %s -nnc-tile-and-vectorize="vector-bits=256" | FileCheck %s --check-prefix=AVX2

// A batched matmul (attention's scores q kᵀ, [N, 28, 16] x [N, 16, 28]):
// one sample per thread iteration, then register tiles of tile-m (8) rows
// over a K loop of tile-k (4) steps, the 4 rows left in a peeled tile,
// rather than one vector contraction over all of 28 x 28 x 16 per sample.
// A tile of one sample is a plain matmul: its contraction has no unit
// batch dim (1 x 8 x 28 x 4 lowers to scalar shuffles instead of FMAs).
// The 28 columns are not one tile: a <28 x float> accumulator carried
// through the K loop is taken apart into scalars by LLVM. Tiles are one
// register wide or whole registers: 16 + 12 columns with 512-bit
// vectors, 24 + 4 with 256-bit ones and this tile-n of 32 (nnc's AVX2
// pipeline, tile-n 16, makes 8 + 8 + 8 + 4); the rows left get the same columns
// (inner loops are peeled before outer ones).

// CHECK-LABEL: func.func @attention_scores(
// CHECK:         scf.forall (%{{.*}}) in (%{{.*}})
// CHECK:           scf.for %{{.*}} = %c0 to %c24 step %c8
// CHECK:             scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK:               vector.contract {{.*}} : vector<8x16x4xf32>, vector<8x16x4xf32> into vector<8x16xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK:               vector.contract {{.*}} : vector<8x12x4xf32>, vector<8x12x4xf32> into vector<8x12xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK:             vector.contract {{.*}} : vector<4x16x4xf32>, vector<4x16x4xf32> into vector<4x16xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK:             vector.contract {{.*}} : vector<4x12x4xf32>, vector<4x12x4xf32> into vector<4x12xf32>
// CHECK-NOT:       linalg.batch_matmul
// CHECK-NOT:       vector<{{.*}}x28x4xf32>

// AVX2-LABEL: func.func @attention_scores(
// AVX2:         vector.contract {{.*}} into vector<8x24xf32>
// AVX2:         vector.contract {{.*}} into vector<8x4xf32>
// AVX2:         vector.contract {{.*}} into vector<4x24xf32>
// AVX2:         vector.contract {{.*}} into vector<4x4xf32>
// AVX2-NOT:     linalg.batch_matmul
func.func @attention_scores(%q: tensor<?x28x16xf32>, %k: tensor<?x16x28xf32>) -> tensor<?x28x28xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = tensor.dim %q, %c0 : tensor<?x28x16xf32>
  %e = tensor.empty(%n) : tensor<?x28x28xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?x28x28xf32>) -> tensor<?x28x28xf32>
  %r = linalg.batch_matmul ins(%q, %k : tensor<?x28x16xf32>, tensor<?x16x28xf32>) outs(%z : tensor<?x28x28xf32>) -> tensor<?x28x28xf32>
  return %r : tensor<?x28x28xf32>
}
