// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// The verifiers of the recurrent ops: cell, activation, parameter shapes,
// result and residual types.

func.func @unknown_cell(%x: tensor<?x5x3xf32>, %k: tensor<3x4xf32>, %u: tensor<4x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'nnc.recurrent' op unknown cell 'lstmm'}}
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "lstmm", activation = "tanh", return_sequences = false} : tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @lstm_activation(%x: tensor<?x5x3xf32>, %k: tensor<3x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'nnc.recurrent' op activation 'relu' is not supported by a lstm cell}}
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "lstm", activation = "relu", return_sequences = false} : tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @rnn_activation(%x: tensor<?x5x3xf32>, %k: tensor<3x4xf32>, %u: tensor<4x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'nnc.recurrent' op activation 'gelu' is not supported by a rnn cell}}
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "rnn", activation = "gelu", return_sequences = false} : tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @input_rank(%x: tensor<?x15xf32>, %k: tensor<3x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{lstm expects a 3-D input [batch, steps, features], got f32[batch, 15]}}
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "lstm", activation = "tanh", return_sequences = false} : tensor<?x15xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @recurrent_kernel(%x: tensor<?x5x3xf32>, %k: tensor<3x16xf32>, %u: tensor<4x12xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{lstm: the recurrent kernel should be [units, 4 * units], got f32[4, 12]}}
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "lstm", activation = "tanh", return_sequences = false} : tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x12xf32>, tensor<16xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @kernel(%x: tensor<?x5x3xf32>, %k: tensor<2x12xf32>, %u: tensor<4x12xf32>, %b: tensor<2x12xf32>) {
  // expected-error @+1 {{gru: the kernel should be [3, 12], got f32[2, 12]}}
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "gru", activation = "tanh", return_sequences = false} : tensor<?x5x3xf32>, tensor<2x12xf32>, tensor<4x12xf32>, tensor<2x12xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @gru_bias(%x: tensor<?x5x3xf32>, %k: tensor<3x12xf32>, %u: tensor<4x12xf32>, %b: tensor<12xf32>) {
  // expected-error @+1 {{gru: the bias should be [2, 12], got f32[12]}}
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "gru", activation = "tanh", return_sequences = false} : tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<12xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @result(%x: tensor<?x5x3xf32>, %k: tensor<3x4xf32>, %u: tensor<4x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'nnc.recurrent' op result type 'tensor<?x4xf32>' should be 'tensor<?x5x4xf32>'}}
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "rnn", activation = "tanh", return_sequences = true} : tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @residuals(%x: tensor<?x5x3xf32>, %k: tensor<3x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'nnc.recurrent_train' op residuals type should be 'tensor<?x5x24xf32>'}}
  %0:2 = nnc.recurrent_train %x, %k, %u, %b {cell = "lstm", activation = "tanh", return_sequences = false} : tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32> -> tensor<?x4xf32>, tensor<?x5x16xf32>
  return
}

// -----

func.func @grad_type(%dy: tensor<?x5x4xf32>, %x: tensor<?x5x3xf32>, %k: tensor<3x4xf32>, %u: tensor<4x4xf32>, %b: tensor<4xf32>, %r: tensor<?x5x4xf32>) {
  // expected-error @+1 {{'nnc.recurrent_grad' op grad type 'tensor<?x5x4xf32>' should be 'tensor<?x4xf32>'}}
  %0:4 = nnc.recurrent_grad %dy, %x, %k, %u, %b, %r {cell = "rnn", activation = "tanh", return_sequences = false} : tensor<?x5x4xf32>, tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<?x5x4xf32> -> tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @gradient_types(%dy: tensor<?x4xf32>, %x: tensor<?x5x3xf32>, %k: tensor<3x4xf32>, %u: tensor<4x4xf32>, %b: tensor<4xf32>, %r: tensor<?x5x4xf32>) {
  // expected-error @+1 {{'nnc.recurrent_grad' op gradient type 'tensor<4xf32>' should be 'tensor<4x4xf32>'}}
  %0:4 = nnc.recurrent_grad %dy, %x, %k, %u, %b, %r {cell = "rnn", activation = "tanh", return_sequences = false} : tensor<?x4xf32>, tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<?x5x4xf32> -> tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}
