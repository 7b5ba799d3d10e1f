// RUN: nnc-opt %s -nnc-autodiff=require-loss=1 | FileCheck %s

// A recurrent layer in training becomes recurrent_train, which also returns
// its residuals; its gradient is one recurrent_grad that reads them. The
// second layer's input gradient feeds the first layer's recurrent_grad.

// CHECK-LABEL: func.func @seq_gradients(
// CHECK-SAME:    %[[K1:[a-z0-9]+]]: tensor<3x16xf32> {nnc.variable = "a.kernel"}, %[[U1:[a-z0-9]+]]: tensor<4x16xf32> {nnc.variable = "a.recurrent_kernel"}, %[[B1:[a-z0-9]+]]: tensor<16xf32> {nnc.variable = "a.bias"}, %[[K2:[a-z0-9]+]]: tensor<4x6xf32> {nnc.variable = "b.kernel"}, %[[U2:[a-z0-9]+]]: tensor<2x6xf32> {nnc.variable = "b.recurrent_kernel"}, %[[B2:[a-z0-9]+]]: tensor<2x6xf32> {nnc.variable = "b.bias"}, %[[X:[a-z0-9]+]]: tensor<?x5x3xf32>
// CHECK:         %[[A:[a-z0-9_]+]], %[[AR:[a-z0-9_]+]] = nnc.recurrent_train %[[X]], %[[K1]], %[[U1]], %[[B1]] {activation = "tanh", cell = "lstm", return_sequences = true} : {{.*}} -> tensor<?x5x4xf32>, tensor<?x5x24xf32>
// CHECK:         %[[B:[a-z0-9_]+]], %[[BR:[a-z0-9_]+]] = nnc.recurrent_train %[[A]], %[[K2]], %[[U2]], %[[B2]] {activation = "tanh", cell = "gru", return_sequences = false} : {{.*}} -> tensor<?x2xf32>, tensor<?x5x10xf32>
// CHECK:         %[[GBX:[a-z0-9_]+]], %[[GBK:[a-z0-9_]+]], %[[GBU:[a-z0-9_]+]], %[[GBB:[a-z0-9_]+]] = nnc.recurrent_grad %{{.*}}, %[[A]], %[[K2]], %[[U2]], %[[B2]], %[[BR]] {activation = "tanh", cell = "gru", return_sequences = false}
// CHECK:         %{{[a-z0-9_]+}}, %[[GAK:[a-z0-9_]+]], %[[GAU:[a-z0-9_]+]], %[[GAB:[a-z0-9_]+]] = nnc.recurrent_grad %[[GBX]], %[[X]], %[[K1]], %[[U1]], %[[B1]], %[[AR]] {activation = "tanh", cell = "lstm", return_sequences = true}
// CHECK:         return %{{.*}}, %[[GAK]], %[[GAU]], %[[GAB]], %[[GBK]], %[[GBU]], %[[GBB]] :
module attributes {nnc.model = "seq"} {
  nnc.variable @a.kernel param : tensor<3x16xf32> init glorot_uniform
  nnc.variable @a.recurrent_kernel param : tensor<4x16xf32> init orthogonal
  nnc.variable @a.bias param : tensor<16xf32> init unit_forget_bias
  nnc.variable @b.kernel param : tensor<4x6xf32> init glorot_uniform
  nnc.variable @b.recurrent_kernel param : tensor<2x6xf32> init orthogonal
  nnc.variable @b.bias param : tensor<2x6xf32> init zeros
  func.func @seq(%x: tensor<?x5x3xf32> {nnc.input = "x"}) {
    %k1 = nnc.load @a.kernel : tensor<3x16xf32>
    %u1 = nnc.load @a.recurrent_kernel : tensor<4x16xf32>
    %b1 = nnc.load @a.bias : tensor<16xf32>
    %0 = nnc.recurrent %x, %k1, %u1, %b1 {cell = "lstm", activation = "tanh", return_sequences = true} : tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32> -> tensor<?x5x4xf32>
    %k2 = nnc.load @b.kernel : tensor<4x6xf32>
    %u2 = nnc.load @b.recurrent_kernel : tensor<2x6xf32>
    %b2 = nnc.load @b.bias : tensor<2x6xf32>
    %1 = nnc.recurrent %0, %k2, %u2, %b2 {cell = "gru", activation = "tanh", return_sequences = false} : tensor<?x5x4xf32>, tensor<4x6xf32>, tensor<2x6xf32>, tensor<2x6xf32> -> tensor<?x2xf32>
    %l = nnc.reduce_mean %1 {axes = array<i64: 0, 1>} : tensor<?x2xf32> -> tensor<f32>
    nnc.loss %l : tensor<f32>
    return
  }
}
