// RUN: nnc-opt %s -split-input-file -nnc-autodiff=require-loss=1 | FileCheck %s

// conv2d: d input is conv2d_input_grad of the result's gradient and the
// filter, d filter conv2d_filter_grad of the input and that gradient, with
// the conv's strides and padding. The first conv reads the model's input:
// only its filter gets a gradient.

// CHECK-LABEL: func.func @conv_gradients(
// CHECK-SAME:    %[[K1:[a-z0-9]+]]: tensor<3x3x2x4xf32> {nnc.variable = "k1"}, %[[K2:[a-z0-9]+]]: tensor<2x2x4x3xf32> {nnc.variable = "k2"}, %[[X:[a-z0-9]+]]: tensor<?x9x8x2xf32>
// CHECK:         %[[C1:.*]] = nnc.conv2d %[[X]], %[[K1]]
// CHECK:         %[[C2:.*]] = nnc.conv2d %[[C1]], %[[K2]]
// CHECK:         %[[D2:.*]] = nnc.reduce_grad %{{.*}}, %[[C2]]
// CHECK:         %[[D1:.*]] = nnc.conv2d_input_grad %[[D2]], %[[K2]] {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x4x3x3xf32>, tensor<2x2x4x3xf32> -> tensor<?x5x4x4xf32>
// CHECK:         %[[DK2:.*]] = nnc.conv2d_filter_grad %[[C1]], %[[D2]] {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x5x4x4xf32>, tensor<?x4x3x3xf32> -> tensor<2x2x4x3xf32>
// CHECK:         %[[DK1:.*]] = nnc.conv2d_filter_grad %[[X]], %[[D1]] {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<?x9x8x2xf32>, tensor<?x5x4x4xf32> -> tensor<3x3x2x4xf32>
// CHECK-NOT:     nnc.conv2d_input_grad
// CHECK:         return %{{.*}}, %[[DK1]], %[[DK2]]
module attributes {nnc.model = "conv"} {
  nnc.variable @k1 param : tensor<3x3x2x4xf32> init ones
  nnc.variable @k2 param : tensor<2x2x4x3xf32> init ones
  func.func @conv(%x: tensor<?x9x8x2xf32> {nnc.input = "x"}) {
    %k1 = nnc.load @k1 : tensor<3x3x2x4xf32>
    %k2 = nnc.load @k2 : tensor<2x2x4x3xf32>
    %0 = nnc.conv2d %x, %k1 {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x9x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x5x4x4xf32>
    %1 = nnc.conv2d %0, %k2 {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x5x4x4xf32>, tensor<2x2x4x3xf32> -> tensor<?x4x3x3xf32>
    %l = nnc.reduce_mean %1 {axes = array<i64: 0, 1, 2, 3>} : tensor<?x4x3x3xf32> -> tensor<f32>
    nnc.loss %l : tensor<f32>
    return
  }
}

// -----

// Pooling: maxpool2d_grad reads the input, the pooled result and its
// gradient; avgpool2d_grad only the gradient (the input's shape is its
// result type). Both keep the window, strides and padding.

// CHECK-LABEL: func.func @pool_gradients(
// CHECK:         %[[H:.*]] = nnc.mul
// CHECK:         %[[M:.*]] = nnc.maxpool2d %[[H]]
// CHECK:         %[[A:.*]] = nnc.avgpool2d %[[H]]
// CHECK-DAG:     %[[DA:.*]] = nnc.avgpool2d_grad %{{.*}} {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>, window = array<i64: 3, 3>} : tensor<?x3x3x2xf32> -> tensor<?x6x6x2xf32>
// CHECK-DAG:     %[[DM:.*]] = nnc.maxpool2d_grad %[[H]], %[[M]], %{{.*}} {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x6x6x2xf32>, tensor<?x3x3x2xf32>
// CHECK:         nnc.add %[[DA]], %[[DM]]
module attributes {nnc.model = "pool"} {
  nnc.variable @p param : tensor<2xf32> init ones
  func.func @pool(%x: tensor<?x6x6x2xf32> {nnc.input = "x"}) {
    %p = nnc.load @p : tensor<2xf32>
    %h = nnc.mul %x, %p : tensor<?x6x6x2xf32>, tensor<2xf32> -> tensor<?x6x6x2xf32>
    %m = nnc.maxpool2d %h {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x6x6x2xf32> -> tensor<?x3x3x2xf32>
    %a = nnc.avgpool2d %h {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x6x6x2xf32> -> tensor<?x3x3x2xf32>
    %s = nnc.add %m, %a : tensor<?x3x3x2xf32>, tensor<?x3x3x2xf32> -> tensor<?x3x3x2xf32>
    %l = nnc.reduce_mean %s {axes = array<i64: 0, 1, 2, 3>} : tensor<?x3x3x2xf32> -> tensor<f32>
    nnc.loss %l : tensor<f32>
    return
  }
}

// -----

// reduce_max: reduce_max_grad of the result's gradient, the input and the
// result, with the axes.

// CHECK-LABEL: func.func @max_gradients(
// CHECK:         %[[H:.*]] = nnc.mul
// CHECK:         %[[M:.*]] = nnc.reduce_max %[[H]] {axes = array<i64: 1>, keepdims = true}
// CHECK:         %[[D:.*]] = nnc.reduce_grad %{{.*}}, %[[M]]
// CHECK:         nnc.reduce_max_grad %[[D]], %[[H]], %[[M]] {axes = array<i64: 1>} : tensor<?x1xf32>, tensor<?x5xf32>
module attributes {nnc.model = "max"} {
  nnc.variable @p param : tensor<5xf32> init ones
  func.func @max(%x: tensor<?x5xf32> {nnc.input = "x"}) {
    %p = nnc.load @p : tensor<5xf32>
    %h = nnc.mul %x, %p : tensor<?x5xf32>, tensor<5xf32> -> tensor<?x5xf32>
    %m = nnc.reduce_max %h {axes = array<i64: 1>, keepdims = true} : tensor<?x5xf32> -> tensor<?x1xf32>
    %l = nnc.reduce_mean %m {axes = array<i64: 0, 1>} : tensor<?x1xf32> -> tensor<f32>
    nnc.loss %l : tensor<f32>
    return
  }
}

// -----

// embedding: the table's gradient is embedding_grad of the result's
// gradient and the ids; the ids get none.

// CHECK-LABEL: func.func @embed_gradients(
// CHECK-SAME:    %[[T:[a-z0-9]+]]: tensor<7x3xf32> {nnc.variable = "table"}, %[[IDS:[a-z0-9]+]]: tensor<?x4xi32>
// CHECK:         %[[E:.*]] = nnc.embedding %[[T]], %[[IDS]]
// CHECK:         %[[D:.*]] = nnc.reduce_grad %{{.*}}, %[[E]]
// CHECK:         %[[DT:.*]] = nnc.embedding_grad %[[D]], %[[IDS]] : tensor<?x4x3xf32>, tensor<?x4xi32> -> tensor<7x3xf32>
// CHECK:         return %{{.*}}, %[[DT]]
module attributes {nnc.model = "embed"} {
  nnc.variable @table param : tensor<7x3xf32> init ones
  func.func @embed(%ids: tensor<?x4xi32> {nnc.input = "ids"}) {
    %t = nnc.load @table : tensor<7x3xf32>
    %e = nnc.embedding %t, %ids : tensor<7x3xf32>, tensor<?x4xi32> -> tensor<?x4x3xf32>
    %l = nnc.reduce_mean %e {axes = array<i64: 0, 1, 2>} : tensor<?x4x3xf32> -> tensor<f32>
    nnc.loss %l : tensor<f32>
    return
  }
}

// -----

// layernorm: one nnc.layernorm_grad gives the gradients of the input,
// gamma and beta (its lowering recomputes the statistics from the input);
// the input's flows on through the mul into p's.

// CHECK-LABEL: func.func @ln_gradients(
// CHECK-SAME:    %[[G:[a-z0-9]+]]: tensor<4xf32> {nnc.variable = "gamma"}, %[[B:[a-z0-9]+]]: tensor<4xf32> {nnc.variable = "beta"}, %[[P:[a-z0-9]+]]: tensor<4xf32> {nnc.variable = "p"}
// CHECK:         %[[H:.*]] = nnc.mul %{{.*}}, %[[P]]
// CHECK:         %[[Y:.*]] = nnc.layernorm %[[H]], %[[G]], %[[B]]
// CHECK:         %[[DY:.*]] = nnc.reduce_grad %{{.*}}, %[[Y]]
// CHECK:         %[[DX:[a-z_0-9]+]], %[[DG:[a-z_0-9]+]], %[[DB:[a-z_0-9]+]] = nnc.layernorm_grad %[[H]], %[[G]], %[[DY]] {eps = 1.000000e-02 : f64} : tensor<?x2x4xf32>, tensor<4xf32>
// CHECK:         nnc.mul %[[DX]], %{{.*}}
// CHECK:         return %{{.*}}, %[[DG]], %[[DB]], %{{.*}}
module attributes {nnc.model = "ln"} {
  nnc.variable @gamma param : tensor<4xf32> init ones
  nnc.variable @beta param : tensor<4xf32> init zeros
  nnc.variable @p param : tensor<4xf32> init ones
  func.func @ln(%x: tensor<?x2x4xf32> {nnc.input = "x"}) {
    %g = nnc.load @gamma : tensor<4xf32>
    %b = nnc.load @beta : tensor<4xf32>
    %p = nnc.load @p : tensor<4xf32>
    %h = nnc.mul %x, %p : tensor<?x2x4xf32>, tensor<4xf32> -> tensor<?x2x4xf32>
    %y = nnc.layernorm %h, %g, %b {eps = 1.0e-02 : f64} : tensor<?x2x4xf32>, tensor<4xf32>
    %l = nnc.reduce_mean %y {axes = array<i64: 0, 1, 2>} : tensor<?x2x4xf32> -> tensor<f32>
    nnc.loss %l : tensor<f32>
    return
  }
}
