// RUN: nnc-opt %s | nnc-opt | FileCheck %s

// The recurrent ops print and parse back: whole sequences, T static, the
// batch dynamic.

// CHECK-LABEL: func.func @ops(
// CHECK: nnc.recurrent %{{.*}} {activation = "tanh", cell = "lstm", return_sequences = false} : tensor<?x28x28xf32>, tensor<28x64xf32>, tensor<16x64xf32>, tensor<64xf32> -> tensor<?x16xf32>
// CHECK: nnc.recurrent %{{.*}} {activation = "relu", cell = "rnn", return_sequences = true} : tensor<?x28x28xf32>, tensor<28x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<?x28x8xf32>
// CHECK: nnc.recurrent_train %{{.*}} {activation = "tanh", cell = "gru", return_sequences = true} : tensor<?x28x28xf32>, tensor<28x12xf32>, tensor<4x12xf32>, tensor<2x12xf32> -> tensor<?x28x4xf32>, tensor<?x28x20xf32>
// CHECK: nnc.recurrent_grad %{{.*}} {activation = "tanh", cell = "gru", return_sequences = true} : tensor<?x28x4xf32>, tensor<?x28x28xf32>, tensor<28x12xf32>, tensor<4x12xf32>, tensor<2x12xf32>, tensor<?x28x20xf32> -> tensor<?x28x28xf32>, tensor<28x12xf32>, tensor<4x12xf32>, tensor<2x12xf32>
func.func @ops(%x: tensor<?x28x28xf32>, %k: tensor<28x64xf32>, %u: tensor<16x64xf32>, %b: tensor<64xf32>,
               %k1: tensor<28x8xf32>, %u1: tensor<8x8xf32>, %b1: tensor<8xf32>,
               %k3: tensor<28x12xf32>, %u3: tensor<4x12xf32>, %b3: tensor<2x12xf32>) {
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "lstm", activation = "tanh", return_sequences = false} : tensor<?x28x28xf32>, tensor<28x64xf32>, tensor<16x64xf32>, tensor<64xf32> -> tensor<?x16xf32>
  %1 = nnc.recurrent %x, %k1, %u1, %b1 {cell = "rnn", activation = "relu", return_sequences = true} : tensor<?x28x28xf32>, tensor<28x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<?x28x8xf32>
  %2:2 = nnc.recurrent_train %x, %k3, %u3, %b3 {cell = "gru", activation = "tanh", return_sequences = true} : tensor<?x28x28xf32>, tensor<28x12xf32>, tensor<4x12xf32>, tensor<2x12xf32> -> tensor<?x28x4xf32>, tensor<?x28x20xf32>
  %3:4 = nnc.recurrent_grad %2#0, %x, %k3, %u3, %b3, %2#1 {cell = "gru", activation = "tanh", return_sequences = true} : tensor<?x28x4xf32>, tensor<?x28x28xf32>, tensor<28x12xf32>, tensor<4x12xf32>, tensor<2x12xf32>, tensor<?x28x20xf32> -> tensor<?x28x28xf32>, tensor<28x12xf32>, tensor<4x12xf32>, tensor<2x12xf32>
  return
}
