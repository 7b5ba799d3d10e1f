// RUN: nnc-opt %s -split-input-file -nnc-build-inference | FileCheck %s
// RUN: nnc-opt %s -split-input-file -nnc-build-inference=erase-graph=1 | FileCheck %s --check-prefix=ERASE

// Variables become the first arguments in module order (not load order),
// then the inputs; the target is not an argument; the output is returned.
// Dropout is the identity; the loss, the metric and what only they used
// (log_softmax, cross_entropy, accuracy) are dropped. By default the graph
// function stays; erase-graph=1 removes it.

// CHECK-LABEL: func.func @m(
// CHECK-SAME:    {nnc.target = "label"}
// CHECK:         nnc.dropout
// CHECK:         nnc.loss
// CHECK:         nnc.metric

// CHECK-LABEL: func.func @m_predict(
// CHECK-SAME:    %[[B:[a-z0-9]+]]: tensor<3xf32> {nnc.variable = "fc.bias"},
// CHECK-SAME:    %[[W:[a-z0-9]+]]: tensor<4x3xf32> {nnc.variable = "fc.weight"},
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x4xf32> {nnc.input = "x"})
// CHECK-SAME:    -> (tensor<?x3xf32> {nnc.output = "probs"})
// CHECK-SAME:    attributes {nnc.entry = "predict"}
// CHECK-NEXT:    %[[MM:.*]] = nnc.matmul %[[X]], %[[W]]
// CHECK-NEXT:    %[[ADD:.*]] = nnc.add %[[MM]], %[[B]]
// CHECK-NEXT:    %[[P:.*]] = nnc.softmax %[[ADD]]
// CHECK-NEXT:    return %[[P]] : tensor<?x3xf32>
// CHECK-NEXT:  }

// ERASE-NOT:   func.func @m(
// ERASE-LABEL: func.func @m_predict(
// ERASE-NOT:   func.func @m(
module attributes {nnc.model = "m"} {
  nnc.variable @fc.bias param : tensor<3xf32> init zeros
  nnc.variable @fc.weight param : tensor<4x3xf32> init glorot_uniform
  func.func @m(%x: tensor<?x4xf32> {nnc.input = "x"}, %t: tensor<?xi32> {nnc.target = "label"}) {
    %w = nnc.load @fc.weight : tensor<4x3xf32>
    %b = nnc.load @fc.bias : tensor<3xf32>
    %0 = nnc.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %1 = nnc.add %0, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %2 = nnc.dropout %1 {rate = 0.5 : f64, stream = 0} : tensor<?x3xf32>
    %3 = nnc.softmax %2 {axis = 1} : tensor<?x3xf32>
    nnc.output "probs" %3 : tensor<?x3xf32>
    %4 = nnc.log_softmax %2 {axis = 1} : tensor<?x3xf32>
    %5 = nnc.cross_entropy %4, %t : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    nnc.loss %5 : tensor<f32>
    %6 = nnc.accuracy %2, %t : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    nnc.metric "accuracy" %6 : tensor<f32>
    return
  }
}

// -----

// Several inputs, with a target between them, keep their order; several
// outputs are all returned, in order, each tagged with its name. A variable
// that is only declared still becomes an argument. A value that only the
// loss used (the exp) is dropped.

// CHECK-LABEL: func.func @two(
// CHECK-LABEL: func.func @two_predict(
// CHECK-SAME:    %[[S:[a-z0-9]+]]: tensor<4xf32> {nnc.variable = "scale"},
// CHECK-SAME:    %{{[a-z0-9]+}}: tensor<2xf32> {nnc.variable = "unused"},
// CHECK-SAME:    %[[A:[a-z0-9]+]]: tensor<?x4xf32> {nnc.input = "a"},
// CHECK-SAME:    %[[B:[a-z0-9]+]]: tensor<?x4xf32> {nnc.input = "b"})
// CHECK-SAME:    -> (tensor<?x4xf32> {nnc.output = "sum"}, tensor<?x4xf32> {nnc.output = "act"})
// CHECK-NOT:     nnc.exp
// CHECK:         %[[SUM:.*]] = nnc.add %[[A]], %[[B]]
// CHECK:         %[[MUL:.*]] = nnc.mul %[[SUM]], %[[S]]
// CHECK:         %[[ACT:.*]] = nnc.relu %[[MUL]]
// CHECK-NOT:     nnc.exp
// CHECK-NOT:     nnc.mse
// CHECK:         return %[[SUM]], %[[ACT]] : tensor<?x4xf32>, tensor<?x4xf32>

// ERASE-NOT:   func.func @two(
// ERASE-LABEL: func.func @two_predict(
// ERASE-NOT:   func.func @two(
module attributes {nnc.model = "two"} {
  nnc.variable @scale param : tensor<4xf32> init ones
  nnc.variable @unused param : tensor<2xf32> init zeros
  func.func @two(%a: tensor<?x4xf32> {nnc.input = "a"}, %y: tensor<?x4xf32> {nnc.target = "y"},
                 %b: tensor<?x4xf32> {nnc.input = "b"}) {
    %s = nnc.load @scale : tensor<4xf32>
    %0 = nnc.add %a, %b : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %1 = nnc.mul %0, %s : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %2 = nnc.relu %1 : tensor<?x4xf32>
    nnc.output "sum" %0 : tensor<?x4xf32>
    nnc.output "act" %2 : tensor<?x4xf32>
    %3 = nnc.exp %1 : tensor<?x4xf32>
    %4 = nnc.mse %3, %y : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<f32>
    nnc.loss %4 : tensor<f32>
    return
  }
}

