// RUN: nnc-opt %s -split-input-file -nnc-prune-graph | FileCheck %s

// A value nothing uses is dropped, with the variables only it read.

// CHECK-NOT: @unused.weight
// CHECK-LABEL: nnc.variable @used.weight
// CHECK-NOT: @unused.weight
nnc.variable @unused.weight param : tensor<4x3xf32> init glorot_uniform
nnc.variable @used.weight param : tensor<4x2xf32> init glorot_uniform
// CHECK-LABEL: func.func @m
func.func @m(%x: tensor<?x4xf32> {nnc.input = "x"}) {
  // CHECK-NOT: nnc.load @unused.weight
  %w0 = nnc.load @unused.weight : tensor<4x3xf32>
  // CHECK-NOT: nnc.relu
  %dead = nnc.matmul %x, %w0 : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %dead2 = nnc.relu %dead : tensor<?x3xf32>
  // CHECK: %[[W:.*]] = nnc.load @used.weight
  %w1 = nnc.load @used.weight : tensor<4x2xf32>
  // CHECK: %[[Y:.*]] = nnc.matmul %{{.*}}, %[[W]]
  %y = nnc.matmul %x, %w1 : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  // CHECK: nnc.output "y" %[[Y]]
  nnc.output "y" %y : tensor<?x2xf32>
  return
}

// -----

// Values feeding the loss and metrics are kept, even with no output use.

// CHECK-LABEL: func.func @loss_and_metric
func.func @loss_and_metric(%x: tensor<?x3xf32>, %t: tensor<?xi32>) {
  // CHECK: nnc.cross_entropy
  %l = nnc.cross_entropy %x, %t : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  // CHECK: nnc.accuracy
  %a = nnc.accuracy %x, %t : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  // CHECK-NOT: nnc.mse
  %m = nnc.mse %x, %x : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<f32>
  // CHECK: nnc.loss
  nnc.loss %l : tensor<f32>
  // CHECK: nnc.metric "accuracy"
  nnc.metric "accuracy" %a : tensor<f32>
  return
}
