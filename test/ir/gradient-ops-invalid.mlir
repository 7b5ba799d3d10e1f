// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// Each gradient op checks its gradient against the forward op's shape rule.

func.func @conv_input_grad_shape(%dy: tensor<?x5x4x4xf32>, %k: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{'nnc.conv2d_input_grad' op gradient type 'tensor<?x5x4x4xf32>' should be 'tensor<?x4x3x4xf32>'}}
  %0 = nnc.conv2d_input_grad %dy, %k {strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x5x4x4xf32>, tensor<3x3x2x4xf32> -> tensor<?x9x8x2xf32>
  return
}

// -----

func.func @conv_input_grad_channels(%dy: tensor<?x7x6x4xf32>, %k: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{conv2d filter f32[3, 3, 2, 4] expects 2 input channels, got f32[batch, 9, 8, 3]}}
  %0 = nnc.conv2d_input_grad %dy, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x7x6x4xf32>, tensor<3x3x2x4xf32> -> tensor<?x9x8x3xf32>
  return
}

// -----

func.func @conv_filter_grad_shape(%x: tensor<?x9x8x2xf32>, %dy: tensor<?x7x6x4xf32>) {
  // expected-error @+1 {{'nnc.conv2d_filter_grad' op gradient type 'tensor<?x7x6x4xf32>' should be 'tensor<?x8x7x4xf32>'}}
  %0 = nnc.conv2d_filter_grad %x, %dy {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x9x8x2xf32>, tensor<?x7x6x4xf32> -> tensor<2x2x2x4xf32>
  return
}

// -----

func.func @conv_filter_grad_strides(%x: tensor<?x9x8x2xf32>, %dy: tensor<?x7x6x4xf32>) {
  // expected-error @+1 {{strides must be two positive integers}}
  %0 = nnc.conv2d_filter_grad %x, %dy {strides = array<i64: 0, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x9x8x2xf32>, tensor<?x7x6x4xf32> -> tensor<3x3x2x4xf32>
  return
}

// -----

func.func @maxpool_grad_shape(%x: tensor<?x6x6x2xf32>, %y: tensor<?x2x2x2xf32>) {
  // expected-error @+1 {{'nnc.maxpool2d_grad' op gradient type 'tensor<?x2x2x2xf32>' should be 'tensor<?x3x3x2xf32>'}}
  %0 = nnc.maxpool2d_grad %x, %y, %y {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x6x6x2xf32>, tensor<?x2x2x2xf32>
  return
}

// -----

func.func @avgpool_grad_window(%dy: tensor<?x3x3x2xf32>) {
  // expected-error @+1 {{pooling window must be two positive integers}}
  %0 = nnc.avgpool2d_grad %dy {window = array<i64: 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x3x3x2xf32> -> tensor<?x6x6x2xf32>
  return
}

// -----

func.func @avgpool_grad_shape(%dy: tensor<?x3x3x2xf32>) {
  // expected-error @+1 {{'nnc.avgpool2d_grad' op gradient type 'tensor<?x3x3x2xf32>' should be 'tensor<?x4x4x2xf32>'}}
  %0 = nnc.avgpool2d_grad %dy {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x3x3x2xf32> -> tensor<?x8x8x2xf32>
  return
}

// -----

func.func @reduce_max_grad_shape(%x: tensor<?x5xf32>, %m: tensor<?x5xf32>) {
  // expected-error @+1 {{'nnc.reduce_max_grad' op gradient type 'tensor<?x5xf32>' should be 'tensor<?xf32>'}}
  %0 = nnc.reduce_max_grad %m, %x, %m {axes = array<i64: 1>} : tensor<?x5xf32>, tensor<?x5xf32>
  return
}

// -----

func.func @reduce_max_grad_axes(%x: tensor<?x5xf32>, %m: tensor<?xf32>) {
  // expected-error @+1 {{reduction axes must be distinct dims of f32[batch, 5]}}
  %0 = nnc.reduce_max_grad %m, %x, %m {axes = array<i64: 2>} : tensor<?xf32>, tensor<?x5xf32>
  return
}

// -----

func.func @embedding_grad_shape(%dy: tensor<?x4x2xf32>, %ids: tensor<?x4xi32>) {
  // expected-error @+1 {{'nnc.embedding_grad' op gradient type 'tensor<?x4x2xf32>' should be 'tensor<?x4x3xf32>'}}
  %0 = nnc.embedding_grad %dy, %ids : tensor<?x4x2xf32>, tensor<?x4xi32> -> tensor<7x3xf32>
  return
}

// -----

func.func @embedding_grad_table(%dy: tensor<?x4x3xf32>, %ids: tensor<?x4xi32>) {
  // expected-error @+1 {{embedding table must be [vocab, dim], got f32[7, 3, 1]}}
  %0 = nnc.embedding_grad %dy, %ids : tensor<?x4x3xf32>, tensor<?x4xi32> -> tensor<7x3x1xf32>
  return
}

// -----

func.func @layernorm_grad_gamma(%x: tensor<?x5x8xf32>, %g: tensor<5xf32>, %dy: tensor<?x5x8xf32>) {
  // expected-error @+1 {{'nnc.layernorm_grad' op parameters must be 'tensor<8xf32>'}}
  %0:3 = nnc.layernorm_grad %x, %g, %dy {eps = 1.0e-5 : f64} : tensor<?x5x8xf32>, tensor<5xf32>
  return
}
