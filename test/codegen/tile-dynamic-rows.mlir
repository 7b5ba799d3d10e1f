// RUN: nnc-opt %s -nnc-tile-and-vectorize="vector-bits=512" | FileCheck %s

// A matmul with no epilogue (a recurrent layer's step h U) and a large B:
// its rows left after the 8-row tiles go in 4-, 2- and 1-row tiles. Where
// peeling leaves a tile's row count dynamic, that tile is split into rows
// so that it still vectorizes; no linalg.matmul survives to become scalar
// loops.

// CHECK-LABEL: func.func @step_matmul(
// CHECK:         vector.contract {{.*}} : vector<8x32x4xf32>, vector<8x32x4xf32> into vector<8x32xf32>
// CHECK:         vector.contract {{.*}} : vector<1x32x4xf32>, vector<1x32x4xf32> into vector<1x32xf32>
// CHECK:         vector.contract {{.*}} : vector<2x32x4xf32>, vector<2x32x4xf32> into vector<2x32xf32>
// CHECK-NOT:     linalg.matmul
// CHECK:         return
func.func @step_matmul(%h: tensor<?x128xf32>, %u: tensor<128x512xf32>) -> tensor<?x512xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = tensor.dim %h, %c0 : tensor<?x128xf32>
  %e = tensor.empty(%n) : tensor<?x512xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?x512xf32>) -> tensor<?x512xf32>
  %m = linalg.matmul ins(%h, %u : tensor<?x128xf32>, tensor<128x512xf32>) outs(%z : tensor<?x512xf32>) -> tensor<?x512xf32>
  return %m : tensor<?x512xf32>
}
