// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// RUN: nnc-opt %s --mlir-print-op-generic | nnc-opt | FileCheck %s

// The gradient ops of convolution, pooling, max, embedding and layernorm
// round-trip.

// CHECK-LABEL: func.func @conv_grads(
func.func @conv_grads(%x: tensor<?x9x8x2xf32>, %k: tensor<3x3x2x4xf32>, %dy: tensor<?x5x4x4xf32>) {
  // CHECK: nnc.conv2d_input_grad %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<?x5x4x4xf32>, tensor<3x3x2x4xf32> -> tensor<?x9x8x2xf32>
  %0 = nnc.conv2d_input_grad %dy, %k {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x5x4x4xf32>, tensor<3x3x2x4xf32> -> tensor<?x9x8x2xf32>
  // CHECK: nnc.conv2d_filter_grad %{{.*}}, %{{.*}} {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<?x9x8x2xf32>, tensor<?x5x4x4xf32> -> tensor<3x3x2x4xf32>
  %1 = nnc.conv2d_filter_grad %x, %dy {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x9x8x2xf32>, tensor<?x5x4x4xf32> -> tensor<3x3x2x4xf32>
  return
}

// CHECK-LABEL: func.func @pool_grads(
func.func @pool_grads(%x: tensor<?x6x6x2xf64>, %y: tensor<?x3x3x2xf64>) {
  // CHECK: nnc.maxpool2d_grad %{{.*}}, %{{.*}}, %{{.*}} {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x6x6x2xf64>, tensor<?x3x3x2xf64>
  %0 = nnc.maxpool2d_grad %x, %y, %y {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x6x6x2xf64>, tensor<?x3x3x2xf64>
  // CHECK: nnc.avgpool2d_grad %{{.*}} {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>, window = array<i64: 3, 3>} : tensor<?x3x3x2xf64> -> tensor<?x6x6x2xf64>
  %1 = nnc.avgpool2d_grad %y {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x3x3x2xf64> -> tensor<?x6x6x2xf64>
  return
}

// CHECK-LABEL: func.func @max_embedding_grads(
func.func @max_embedding_grads(%x: tensor<?x5xf32>, %m: tensor<?xf32>, %k: tensor<?x1xf32>, %ids: tensor<?x4xi32>, %dy: tensor<?x4x3xf32>) {
  // CHECK: nnc.reduce_max_grad %{{.*}}, %{{.*}}, %{{.*}} {axes = array<i64: 1>} : tensor<?xf32>, tensor<?x5xf32>
  %0 = nnc.reduce_max_grad %m, %x, %m {axes = array<i64: 1>} : tensor<?xf32>, tensor<?x5xf32>
  // CHECK: nnc.reduce_max_grad %{{.*}}, %{{.*}}, %{{.*}} {axes = array<i64: 1>} : tensor<?x1xf32>, tensor<?x5xf32>
  %1 = nnc.reduce_max_grad %k, %x, %k {axes = array<i64: 1>} : tensor<?x1xf32>, tensor<?x5xf32>
  // CHECK: nnc.embedding_grad %{{.*}}, %{{.*}} : tensor<?x4x3xf32>, tensor<?x4xi32> -> tensor<7x3xf32>
  %2 = nnc.embedding_grad %dy, %ids : tensor<?x4x3xf32>, tensor<?x4xi32> -> tensor<7x3xf32>
  return
}

// CHECK-LABEL: func.func @layernorm_grad(
func.func @layernorm_grad(%x: tensor<?x5x8xf64>, %g: tensor<8xf64>, %dy: tensor<?x5x8xf64>) {
  // CHECK: nnc.layernorm_grad %{{.*}}, %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64} : tensor<?x5x8xf64>, tensor<8xf64>
  %0:3 = nnc.layernorm_grad %x, %g, %dy {eps = 1.0e-5 : f64} : tensor<?x5x8xf64>, tensor<8xf64>
  return
}
