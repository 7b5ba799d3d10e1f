// RUN: nnc-opt %s -split-input-file -nnc-autodiff | FileCheck %s
// RUN: nnc-opt %s -split-input-file -nnc-autodiff=require-loss=1 -verify-diagnostics -o /dev/null

// A dense layer, relu and cross-entropy: @m_gradients takes the variables,
// the graph's arguments and the dropout key, and returns the loss, the
// metrics and one gradient per parameter (not per state variable); nothing
// is computed for the input (dead gradients are pruned) nor for the metric.
// relu's gradient masks by the sign of its result, not of its input: the
// backward keeps only the activation, and the forward's bias + relu stay
// fused into the matmul's register tiles.

// CHECK-LABEL: func.func @m_gradients(
// CHECK-SAME:    %[[W:.*]]: tensor<4x3xf32> {nnc.variable = "fc.weight"}, %[[B:.*]]: tensor<3xf32> {nnc.variable = "fc.bias"}, %{{.*}}: tensor<3xf32> {nnc.variable = "bn.mean"}, %[[X:.*]]: tensor<?x4xf32> {nnc.input = "x"}, %[[Y:.*]]: tensor<?xi32> {nnc.target = "y"}, %{{.*}}: tensor<i32> {nnc.key})
// CHECK-SAME:    -> (tensor<f32> {nnc.loss}, tensor<f32> {nnc.metric = "accuracy"}, tensor<4x3xf32> {nnc.gradient = "fc.weight"}, tensor<3xf32> {nnc.gradient = "fc.bias"})
// CHECK-SAME:    attributes {nnc.entry = "gradients"}
// CHECK:         %[[MM:.*]] = nnc.matmul %[[X]], %[[W]]
// CHECK:         %[[PRE:.*]] = nnc.add %[[MM]], %[[B]]
// CHECK:         %[[ACT:.*]] = nnc.relu %[[PRE]]
// CHECK:         %[[L:.*]] = nnc.cross_entropy %[[ACT]], %[[Y]]
// CHECK:         %[[ACC:.*]] = nnc.accuracy %[[ACT]], %[[Y]]
// CHECK:         %[[ONE:.*]] = nnc.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[DACT:.*]] = nnc.cross_entropy_grad %[[ACT]], %[[Y]], %[[ONE]]
// CHECK:         %[[DPRE:.*]] = nnc.where_positive %[[ACT]], %[[DACT]], %[[ACT]]
// CHECK:         %[[SUM:.*]] = nnc.reduce_sum %[[DPRE]] {axes = array<i64: 0>, keepdims = true} : tensor<?x3xf32> -> tensor<1x3xf32>
// CHECK:         %[[DB:.*]] = nnc.reshape %[[SUM]] : tensor<1x3xf32> -> tensor<3xf32>
// CHECK:         %[[XT:.*]] = nnc.transpose %[[X]] {perm = array<i64: 1, 0>} : tensor<?x4xf32> -> tensor<4x?xf32>
// CHECK:         %[[DW:.*]] = nnc.matmul %[[XT]], %[[DPRE]] : tensor<4x?xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
// CHECK-NOT:     nnc.matmul %[[DPRE]]
// CHECK-NOT:     nnc.accuracy
// CHECK:         return %[[L]], %[[ACC]], %[[DW]], %[[DB]]
module attributes {nnc.model = "m"} {
  nnc.variable @fc.weight param : tensor<4x3xf32> init glorot_uniform
  nnc.variable @fc.bias param : tensor<3xf32> init zeros
  nnc.variable @bn.mean state : tensor<3xf32> init zeros
  func.func @m(%x: tensor<?x4xf32> {nnc.input = "x"}, %y: tensor<?xi32> {nnc.target = "y"}) {
    %w = nnc.load @fc.weight : tensor<4x3xf32>
    %b = nnc.load @fc.bias : tensor<3xf32>
    %0 = nnc.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %1 = nnc.add %0, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %2 = nnc.relu %1 : tensor<?x3xf32>
    %l = nnc.cross_entropy %2, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    nnc.loss %l : tensor<f32>
    %a = nnc.accuracy %2, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    nnc.metric "accuracy" %a : tensor<f32>
    return
  }
}

// -----

// Fan-out: a parameter used twice gets the sum of both gradients; one the
// loss does not use gets zeros.

// CHECK-LABEL: func.func @f_gradients(
// CHECK:         %[[G1:.*]] = nnc.mul %{{.*}}, %[[P:.*]] :
// CHECK:         %[[G2:.*]] = nnc.mul %{{.*}}, %[[P]] :
// CHECK:         %[[SUM:.*]] = nnc.add %{{.*}}, %{{.*}} : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
// CHECK:         %[[ZERO:.*]] = nnc.constant dense<0.000000e+00> : tensor<5xf32>
// CHECK:         return %{{.*}}, %[[SUM]], %[[ZERO]]
module attributes {nnc.model = "f"} {
  nnc.variable @p param : tensor<2xf32> init ones
  nnc.variable @unused param : tensor<5xf32> init ones
  func.func @f(%x: tensor<?x2xf32> {nnc.input = "x"}) {
    %p = nnc.load @p : tensor<2xf32>
    %0 = nnc.mul %p, %p : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
    %1 = nnc.mul %x, %0 : tensor<?x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
    %l = nnc.reduce_mean %1 {axes = array<i64: 0, 1>} : tensor<?x2xf32> -> tensor<f32>
    nnc.loss %l : tensor<f32>
    return
  }
}

// -----

// No loss: no gradients (and with require-loss, an error).

// CHECK-LABEL: func.func @noloss(
// CHECK-NOT:   @noloss_gradients
module attributes {nnc.model = "noloss"} {
  // expected-error @+1 {{the model has no loss: nothing to differentiate}}
  func.func @noloss(%x: tensor<?x2xf32> {nnc.input = "x"}) {
    nnc.output "y" %x : tensor<?x2xf32>
    return
  }
}

// -----

// An op without a gradient on the way to the loss: no gradients entry, or
// with require-loss an error at the op.

// CHECK-LABEL: func.func @argmax(
// CHECK-NOT:   @argmax_gradients
module attributes {nnc.model = "argmax"} {
  nnc.variable @k param : tensor<2x3xf32> init ones
  func.func @argmax(%x: tensor<?x2xf32> {nnc.input = "x"}, %y: tensor<?xi32> {nnc.target = "y"}) {
    %k = nnc.load @k : tensor<2x3xf32>
    %0 = nnc.matmul %x, %k : tensor<?x2xf32>, tensor<2x3xf32> -> tensor<?x3xf32>
    // expected-error @+1 {{'accuracy' is not differentiable yet, and it is on the path from the parameters to the loss}}
    %l = nnc.accuracy %0, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    nnc.loss %l : tensor<f32>
    return
  }
}

// -----

// Training mode: batchnorm normalizes with the batch's statistics, built
// from differentiable ops, and its running statistics come out as results
// tagged nnc.update; dropout becomes dropout_train on the key argument, and
// its gradient is dropout_train of the gradient (the same mask, recomputed).

// CHECK-LABEL: func.func @t_gradients(
// CHECK-SAME:    %[[G:[^:]*]]: tensor<3xf32> {nnc.variable = "bn.gamma"}, %[[BE:[^:]*]]: tensor<3xf32> {nnc.variable = "bn.beta"}, %[[M:[^:]*]]: tensor<3xf32> {nnc.variable = "bn.mean"}, %[[V:[^:]*]]: tensor<3xf32> {nnc.variable = "bn.var"}
// CHECK-SAME:    %[[KEY:[^:]*]]: tensor<i32> {nnc.key})
// CHECK-SAME:    -> (tensor<f32> {nnc.loss}, tensor<3xf32> {nnc.gradient = "bn.gamma"}, tensor<3xf32> {nnc.gradient = "bn.beta"}, tensor<3xf32> {nnc.update = "bn.mean"}, tensor<3xf32> {nnc.update = "bn.var"})
// CHECK:         %[[MU:.*]] = nnc.reduce_mean %[[X:[^ ]*]] {axes = array<i64: 0>}
// CHECK:         %[[XC:.*]] = nnc.sub %[[X]], %[[MU]]
// CHECK:         %[[SQ:.*]] = nnc.mul %[[XC]], %[[XC]]
// CHECK:         %[[VAR:.*]] = nnc.reduce_mean %[[SQ]] {axes = array<i64: 0>}
// CHECK:         %[[STD:.*]] = nnc.sqrt
// CHECK:         %[[SCALE:.*]] = nnc.div %[[G]], %[[STD]]
// CHECK:         %[[Y:.*]] = nnc.add %{{.*}}, %[[BE]]
// CHECK:         nnc.mul %[[M]], %{{.*}}
// CHECK:         %[[NEWM:.*]] = nnc.add
// CHECK:         nnc.mul %[[V]], %{{.*}}
// CHECK:         %[[NEWV:.*]] = nnc.add
// CHECK:         %[[D:.*]] = nnc.dropout_train %[[Y]], %[[KEY]] {rate = 5.000000e-01 : f64, stream = 0 : i64}
// CHECK:         nnc.dropout_train %{{.*}}, %[[KEY]] {rate = 5.000000e-01 : f64, stream = 0 : i64}
// CHECK:         return %{{.*}}, %{{.*}}, %{{.*}}, %[[NEWM]], %[[NEWV]]
module attributes {nnc.model = "t"} {
  nnc.variable @bn.gamma param : tensor<3xf32> init ones
  nnc.variable @bn.beta param : tensor<3xf32> init zeros
  nnc.variable @bn.mean state : tensor<3xf32> init zeros
  nnc.variable @bn.var state : tensor<3xf32> init ones
  func.func @t(%x: tensor<?x3xf32> {nnc.input = "x"}, %t: tensor<?x3xf32> {nnc.target = "t"}) {
    %g = nnc.load @bn.gamma : tensor<3xf32>
    %b = nnc.load @bn.beta : tensor<3xf32>
    %m = nnc.load @bn.mean : tensor<3xf32>
    %v = nnc.load @bn.var : tensor<3xf32>
    %0 = nnc.batchnorm %x, %g, %b, %m, %v {eps = 1.0e-3 : f64, momentum = 0.99 : f64} : tensor<?x3xf32>, tensor<3xf32>
    %1 = nnc.dropout %0 {rate = 0.5 : f64, stream = 0 : i64} : tensor<?x3xf32>
    %2 = nnc.mse %1, %t : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<f32>
    nnc.loss %2 : tensor<f32>
    return
  }
}
