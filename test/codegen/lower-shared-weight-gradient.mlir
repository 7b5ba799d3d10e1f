// RUN: nnc-opt %s -split-input-file -nnc-lower-to-linalg | FileCheck %s

// The weight gradient of a dense on a sequence ([N, T, k] @ [k, n]):
// autodiff's sum over the batch of xᵀ dy per sample becomes one
// matmul_transpose_a over the N * T merged rows, with no [N, k, n]
// intermediate.

// CHECK-LABEL: func.func @dense_on_sequence_weight_grad(
// CHECK-SAME:    %[[X:.*]]: tensor<?x28x64xf32>, %[[DY:.*]]: tensor<?x28x32xf32>
// CHECK:         %[[XF:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x28x64xf32> into tensor<?x64xf32>
// CHECK:         %[[DYF:.*]] = tensor.collapse_shape %[[DY]] {{\[}}[0, 1], [2]] : tensor<?x28x32xf32> into tensor<?x32xf32>
// CHECK:         %[[DW:.*]] = linalg.matmul_transpose_a ins(%[[XF]], %[[DYF]] : tensor<?x64xf32>, tensor<?x32xf32>) outs(%{{.*}} : tensor<64x32xf32>)
// CHECK-NOT:     linalg.batch_matmul
// CHECK:         return %[[DW]]
func.func @dense_on_sequence_weight_grad(%x: tensor<?x28x64xf32>, %dy: tensor<?x28x32xf32>) -> tensor<64x32xf32> {
  %xt = nnc.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<?x28x64xf32> -> tensor<?x64x28xf32>
  %p = nnc.matmul %xt, %dy : tensor<?x64x28xf32>, tensor<?x28x32xf32> -> tensor<?x64x32xf32>
  %dw = nnc.reduce_sum %p {axes = array<i64: 0>} : tensor<?x64x32xf32> -> tensor<64x32xf32>
  return %dw : tensor<64x32xf32>
}

// -----

// A sum over other axes is not a weight gradient: the per-sample product
// and the reduction stay.

// CHECK-LABEL: func.func @other_axes(
// CHECK:         linalg.transpose
// CHECK:         linalg.batch_matmul
// CHECK:         linalg.generic
// CHECK-NOT:     linalg.matmul_transpose_a
func.func @other_axes(%x: tensor<?x28x64xf32>, %dy: tensor<?x28x32xf32>) -> tensor<?x32xf32> {
  %xt = nnc.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<?x28x64xf32> -> tensor<?x64x28xf32>
  %p = nnc.matmul %xt, %dy : tensor<?x64x28xf32>, tensor<?x28x32xf32> -> tensor<?x64x32xf32>
  %s = nnc.reduce_sum %p {axes = array<i64: 1>} : tensor<?x64x32xf32> -> tensor<?x32xf32>
  return %s : tensor<?x32xf32>
}
