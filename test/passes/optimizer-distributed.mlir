// RUN: nnc-opt %s -nnc-autodiff -nnc-optimizer="gradients-entry=0 distributed=1 bucket-bytes=40" | FileCheck %s
// RUN: nnc-opt %s -nnc-autodiff -nnc-optimizer="gradients-entry=0 distributed=1" | FileCheck %s --check-prefix=ONE
// RUN: nnc-opt %s -nnc-autodiff -nnc-optimizer="gradients-entry=0 distributed=1 bucket-bytes=20" | FileCheck %s --check-prefix=ALONE

// Data-parallel training (nnc --distributed=mpi): each gradient goes to
// its bucket's all-reduce right after it is computed, and is waited for
// right before its update. Buckets are filled last parameter first: with
// 40-byte buckets, fc2's bias (3 floats) and weight (2x3) and fc1's bias
// (2) share bucket 0 (44 bytes: full), and fc1's weight (4x2) is bucket 1.
// Bucket 0's all-reduce starts before fc1's weight gradient is computed.

// CHECK-LABEL: func.func @m_train_step(
// CHECK:         nnc.cross_entropy_grad
// CHECK:         %[[S_B2:.*]] = nnc.grad_allreduce_start %{{.*}} {bucket = 0 : i64, bucket_size = 11 : i64, offset = 0 : i64} : tensor<3xf32>
// CHECK:         %[[DW2:.*]] = nnc.matmul %{{.*}} : tensor<2x?xf32>, tensor<?x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    %[[S_W2:.*]] = nnc.grad_allreduce_start %[[DW2]] {bucket = 0 : i64, bucket_size = 11 : i64, offset = 3 : i64} : tensor<2x3xf32>
// CHECK:         %[[S_B1:.*]] = nnc.grad_allreduce_start %{{.*}} {bucket = 0 : i64, bucket_size = 11 : i64, offset = 9 : i64} : tensor<2xf32>
// CHECK-NEXT:    nnc.transpose
// CHECK-NEXT:    %[[DW1:.*]] = nnc.matmul
// CHECK-NEXT:    %[[S_W1:.*]] = nnc.grad_allreduce_start %[[DW1]] {bucket = 1 : i64, bucket_size = 8 : i64, offset = 0 : i64} : tensor<4x2xf32>
// The updates, each after the wait for its gradient.
// CHECK-NEXT:    %[[G_W1:.*]] = nnc.grad_allreduce_wait %[[S_W1]] {bucket = 1 : i64, offset = 0 : i64} : tensor<4x2xf32>
// CHECK-NEXT:    nnc.sgd_update %{{.*}}, %[[G_W1]]
// CHECK-NEXT:    %[[G_B1:.*]] = nnc.grad_allreduce_wait %[[S_B1]] {bucket = 0 : i64, offset = 9 : i64} : tensor<2xf32>
// CHECK-NEXT:    nnc.sgd_update %{{.*}}, %[[G_B1]]
// CHECK-NEXT:    %[[G_W2:.*]] = nnc.grad_allreduce_wait %[[S_W2]] {bucket = 0 : i64, offset = 3 : i64} : tensor<2x3xf32>
// CHECK-NEXT:    nnc.sgd_update %{{.*}}, %[[G_W2]]
// CHECK-NEXT:    %[[G_B2:.*]] = nnc.grad_allreduce_wait %[[S_B2]] {bucket = 0 : i64, offset = 0 : i64} : tensor<3xf32>
// CHECK-NEXT:    nnc.sgd_update %{{.*}}, %[[G_B2]]
// CHECK-NEXT:    return

// With 20-byte buckets the weights (24 and 32 bytes) are buckets of their
// own, and the biases (12 + 8 bytes) share one.
// ALONE-DAG:     {bucket = 0 : i64, bucket_size = 5 : i64, offset = 0 : i64} : tensor<3xf32>
// ALONE-DAG:     {bucket = 1 : i64, bucket_size = 6 : i64, offset = 0 : i64} : tensor<2x3xf32>
// ALONE-DAG:     {bucket = 0 : i64, bucket_size = 5 : i64, offset = 3 : i64} : tensor<2xf32>
// ALONE-DAG:     {bucket = 2 : i64, bucket_size = 8 : i64, offset = 0 : i64} : tensor<4x2xf32>

// The default bucket (1 MiB) holds all four.
// ONE-COUNT-4:   bucket = 0 : i64, bucket_size = 19 : i64
// ONE-NOT:       bucket = 1
module attributes {nnc.model = "m", nnc.train = {optimizer = {kind = "sgd", lr = 0.1 : f64}}} {
  nnc.variable @fc1.weight param : tensor<4x2xf32> init glorot_uniform
  nnc.variable @fc1.bias param : tensor<2xf32> init zeros
  nnc.variable @fc2.weight param : tensor<2x3xf32> init glorot_uniform
  nnc.variable @fc2.bias param : tensor<3xf32> init zeros
  func.func @m(%x: tensor<?x4xf32> {nnc.input = "x"}, %y: tensor<?xi32> {nnc.target = "y"}) {
    %w1 = nnc.load @fc1.weight : tensor<4x2xf32>
    %b1 = nnc.load @fc1.bias : tensor<2xf32>
    %w2 = nnc.load @fc2.weight : tensor<2x3xf32>
    %b2 = nnc.load @fc2.bias : tensor<3xf32>
    %0 = nnc.matmul %x, %w1 : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
    %1 = nnc.add %0, %b1 : tensor<?x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
    %2 = nnc.relu %1 : tensor<?x2xf32>
    %3 = nnc.matmul %2, %w2 : tensor<?x2xf32>, tensor<2x3xf32> -> tensor<?x3xf32>
    %4 = nnc.add %3, %b2 : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %5 = nnc.cross_entropy %4, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    nnc.loss %5 : tensor<f32>
    return
  }
}
