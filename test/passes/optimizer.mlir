// RUN: nnc-opt %s -split-input-file -nnc-autodiff -nnc-optimizer -verify-diagnostics | FileCheck %s

// With gradients-entry=0 (what an executable compiles: it never calls
// <model>_gradients) the step is built and the gradients function erased,
// so that the backward pass is compiled once.
// RUN: nnc-opt %s -split-input-file -nnc-autodiff -nnc-optimizer="gradients-entry=0" -verify-diagnostics | FileCheck %s --check-prefix=NOGRAD
// NOGRAD-NOT:   func.func @m_gradients(
// NOGRAD:       func.func @m_train_step(
// NOGRAD:         nnc.adam_update
// NOGRAD-NOT:   func.func @m_gradients(

// Adam: two zero-initialized slots per parameter, appended after every
// other variable (slot-major); <model>_train_step takes the variables, the
// slots, the inputs and targets, then lr, step and the dropout key, and
// returns the loss, the metrics and the updated parameters and slots. The
// updates come after the whole backward pass. <model>_gradients keeps
// only the loss, the metrics and the gradients.

// CHECK:       nnc.variable @fc.weight param
// CHECK-NEXT:  nnc.variable @fc.bias param
// CHECK-NEXT:  nnc.variable @bn.mean state
// CHECK-NEXT:  nnc.variable @optimizer.m.fc.weight optimizer : tensor<4x3xf32> init zeros
// CHECK-NEXT:  nnc.variable @optimizer.m.fc.bias optimizer : tensor<3xf32> init zeros
// CHECK-NEXT:  nnc.variable @optimizer.v.fc.weight optimizer : tensor<4x3xf32> init zeros
// CHECK-NEXT:  nnc.variable @optimizer.v.fc.bias optimizer : tensor<3xf32> init zeros
// CHECK-LABEL: func.func @m_gradients(
// CHECK-SAME:    -> (tensor<f32> {nnc.loss}, tensor<4x3xf32> {nnc.gradient = "fc.weight"}, tensor<3xf32> {nnc.gradient = "fc.bias"})
// CHECK-LABEL: func.func @m_train_step(
// CHECK-SAME:    %[[W:[^:]*]]: tensor<4x3xf32> {nnc.variable = "fc.weight"}, %[[B:[^:]*]]: tensor<3xf32> {nnc.variable = "fc.bias"}, %{{[^:]*}}: tensor<3xf32> {nnc.variable = "bn.mean"},
// CHECK-SAME:    %[[MW:[^:]*]]: tensor<4x3xf32> {nnc.variable = "optimizer.m.fc.weight"}, %[[MB:[^:]*]]: tensor<3xf32> {nnc.variable = "optimizer.m.fc.bias"},
// CHECK-SAME:    %[[VW:[^:]*]]: tensor<4x3xf32> {nnc.variable = "optimizer.v.fc.weight"}, %[[VB:[^:]*]]: tensor<3xf32> {nnc.variable = "optimizer.v.fc.bias"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x4xf32> {nnc.input = "x"}, %{{[^:]*}}: tensor<?xi32> {nnc.target = "y"},
// CHECK-SAME:    %[[LR:[^:]*]]: tensor<f32> {nnc.lr}, %[[STEP:[^:]*]]: tensor<f32> {nnc.step}, %{{[^:]*}}: tensor<i32> {nnc.key})
// CHECK-SAME:    -> (tensor<f32> {nnc.loss}, tensor<4x3xf32> {nnc.update = "fc.weight"}, tensor<3xf32> {nnc.update = "fc.bias"},
// CHECK-SAME:        tensor<4x3xf32> {nnc.update = "optimizer.m.fc.weight"}, tensor<3xf32> {nnc.update = "optimizer.m.fc.bias"},
// CHECK-SAME:        tensor<4x3xf32> {nnc.update = "optimizer.v.fc.weight"}, tensor<3xf32> {nnc.update = "optimizer.v.fc.bias"})
// CHECK-SAME:    attributes {nnc.entry = "train_step"}
// CHECK:         nnc.cross_entropy_grad
// CHECK:         %[[DW:.*]] = nnc.matmul
// CHECK:         %[[NW:[^,]*]], %[[NWM:[^,]*]], %[[NWV:[^ ]*]] = nnc.adam_update %[[W]], %[[DW]], %[[MW]], %[[VW]], %[[LR]], %[[STEP]] {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 9.9999999999999995E-8 : f64, weight_decay = 0.000000e+00 : f64}
// CHECK:         %[[NB:[^,]*]], %[[NBM:[^,]*]], %[[NBV:[^ ]*]] = nnc.adam_update %[[B]], %{{.*}}, %[[MB]], %[[VB]], %[[LR]], %[[STEP]]
// CHECK:         return %{{.*}}, %[[NW]], %[[NB]], %[[NWM]], %[[NBM]], %[[NWV]], %[[NBV]]
module attributes {nnc.model = "m", nnc.train = {optimizer = {kind = "adam", lr = 0.001 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-7 : f64}}} {
  nnc.variable @fc.weight param : tensor<4x3xf32> init glorot_uniform
  nnc.variable @fc.bias param : tensor<3xf32> init zeros
  nnc.variable @bn.mean state : tensor<3xf32> init zeros
  func.func @m(%x: tensor<?x4xf32> {nnc.input = "x"}, %y: tensor<?xi32> {nnc.target = "y"}) {
    %w = nnc.load @fc.weight : tensor<4x3xf32>
    %b = nnc.load @fc.bias : tensor<3xf32>
    %0 = nnc.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %1 = nnc.add %0, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %2 = nnc.cross_entropy %1, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    nnc.loss %2 : tensor<f32>
    return
  }
}

// -----

// AdamW: the same op with its decoupled weight decay.

// CHECK-LABEL: func.func @w_train_step(
// CHECK:         nnc.adam_update {{.*}} weight_decay = 1.000000e-02 : f64
module attributes {nnc.model = "w", nnc.train = {optimizer = {kind = "adamw", lr = 0.001 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-7 : f64, weight_decay = 0.01 : f64}}} {
  nnc.variable @p param : tensor<3xf32> init ones
  func.func @w(%x: tensor<?x3xf32> {nnc.input = "x"}) {
    %p = nnc.load @p : tensor<3xf32>
    %0 = nnc.mul %x, %p : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %1 = nnc.reduce_mean %0 {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
    nnc.loss %1 : tensor<f32>
    return
  }
}

// -----

// SGD with Nesterov momentum: one "momentum" slot per parameter.

// CHECK:       nnc.variable @optimizer.momentum.p optimizer : tensor<3xf32> init zeros
// CHECK-LABEL: func.func @n_train_step(
// CHECK-SAME:    %[[P:[^:]*]]: tensor<3xf32> {nnc.variable = "p"}, %[[V:[^:]*]]: tensor<3xf32> {nnc.variable = "optimizer.momentum.p"}
// CHECK:         %[[NP:[^,]*]], %[[NV:[^ ]*]] = nnc.momentum_update %[[P]], %{{.*}}, %[[V]], %{{.*}} {momentum = 9.000000e-01 : f64, nesterov = true}
// CHECK:         return %{{.*}}, %[[NP]], %[[NV]]
module attributes {nnc.model = "n", nnc.train = {optimizer = {kind = "sgd", lr = 0.1 : f64, momentum = 0.9 : f64, nesterov = true}}} {
  nnc.variable @p param : tensor<3xf32> init ones
  func.func @n(%x: tensor<?x3xf32> {nnc.input = "x"}) {
    %p = nnc.load @p : tensor<3xf32>
    %0 = nnc.mul %x, %p : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %1 = nnc.reduce_mean %0 {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
    nnc.loss %1 : tensor<f32>
    return
  }
}

// -----

// Plain SGD: no slots, p - lr * g.

// CHECK-NOT:   nnc.variable @optimizer
// CHECK-LABEL: func.func @s_train_step(
// CHECK-SAME:    %[[P:[^:]*]]: tensor<3xf32> {nnc.variable = "p"}, %{{[^:]*}}: tensor<?x3xf32> {nnc.input = "x"}, %[[LR:[^:]*]]: tensor<f32> {nnc.lr}
// CHECK:         %[[U:.*]] = nnc.sgd_update %[[P]], %{{.*}}, %[[LR]] : tensor<3xf32>, tensor<f32>
// CHECK:         return %{{.*}}, %[[U]]
module attributes {nnc.model = "s", nnc.train = {optimizer = {kind = "sgd", lr = 0.1 : f64}}} {
  nnc.variable @p param : tensor<3xf32> init ones
  func.func @s(%x: tensor<?x3xf32> {nnc.input = "x"}) {
    %p = nnc.load @p : tensor<3xf32>
    %0 = nnc.mul %x, %p : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %1 = nnc.reduce_mean %0 {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
    nnc.loss %1 : tensor<f32>
    return
  }
}

// -----

// An optimizer the pass does not know (the frontend only makes the three).

// expected-error @+1 {{unknown optimizer 'rmsprop'}}
module attributes {nnc.model = "r", nnc.train = {optimizer = {kind = "rmsprop", lr = 0.1 : f64}}} {
  nnc.variable @p param : tensor<3xf32> init ones
  func.func @r(%x: tensor<?x3xf32> {nnc.input = "x"}) {
    %p = nnc.load @p : tensor<3xf32>
    %0 = nnc.mul %x, %p : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %1 = nnc.reduce_mean %0 {axes = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
    nnc.loss %1 : tensor<f32>
    return
  }
}
