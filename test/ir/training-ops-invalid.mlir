// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// The training ops check their settings.

func.func @dropout_rate(%x: tensor<?x4xf32>, %k: tensor<i32>) {
  // expected-error @+1 {{rate must be in [0, 1)}}
  %0 = nnc.dropout_train %x, %k {rate = 1.0 : f64, stream = 0 : i64} : tensor<?x4xf32>, tensor<i32>
  return
}

// -----

func.func @adam_beta(%p: tensor<3xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{betas must be in [0, 1)}}
  %0:3 = nnc.adam_update %p, %p, %p, %p, %lr, %lr {beta1 = 1.5 : f64, beta2 = 0.999 : f64, eps = 1.0e-7 : f64, weight_decay = 0.0 : f64} : tensor<3xf32>, tensor<f32>
  return
}

// -----

func.func @adam_eps(%p: tensor<3xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{eps must be positive}}
  %0:3 = nnc.adam_update %p, %p, %p, %p, %lr, %lr {beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 0.0 : f64, weight_decay = 0.0 : f64} : tensor<3xf32>, tensor<f32>
  return
}

// -----

func.func @adam_decay(%p: tensor<3xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{weight_decay must be non-negative}}
  %0:3 = nnc.adam_update %p, %p, %p, %p, %lr, %lr {beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-7 : f64, weight_decay = -1.0 : f64} : tensor<3xf32>, tensor<f32>
  return
}

