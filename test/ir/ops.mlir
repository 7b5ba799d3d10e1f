// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// RUN: nnc-opt %s --mlir-print-op-generic | nnc-opt | FileCheck %s

// Every op of the dialect, printed and parsed back.

// CHECK: nnc.variable @fc.weight param : tensor<4x3xf32> init glorot_uniform {fan_in = 4 : i64, fan_out = 3 : i64}
nnc.variable @fc.weight param : tensor<4x3xf32> init glorot_uniform {fan_in = 4, fan_out = 3}
// CHECK: nnc.variable @fc.bias param : tensor<3xf32> init zeros
nnc.variable @fc.bias param : tensor<3xf32> init zeros
// CHECK: nnc.variable @bn.mean state : tensor<3xf32> init zeros
nnc.variable @bn.mean state : tensor<3xf32> init zeros
// CHECK: nnc.variable @emb.weight param : tensor<10x3xf32> init uniform {scale = 5.000000e-02 : f64}
nnc.variable @emb.weight param : tensor<10x3xf32> init uniform {scale = 0.05 : f64}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<?x4xf32> {nnc.input = "x"}, %s: tensor<f32>) {
  // CHECK: nnc.relu %{{.*}} : tensor<?x4xf32>
  %0 = nnc.relu %x : tensor<?x4xf32>
  // CHECK: nnc.sigmoid
  %1 = nnc.sigmoid %0 : tensor<?x4xf32>
  // CHECK: nnc.tanh
  %2 = nnc.tanh %1 : tensor<?x4xf32>
  // CHECK: nnc.gelu
  %3 = nnc.gelu %2 : tensor<?x4xf32>
  // CHECK: nnc.exp
  %4 = nnc.exp %3 : tensor<?x4xf32>
  // CHECK: nnc.log
  %5 = nnc.log %4 : tensor<?x4xf32>
  // CHECK: nnc.sqrt
  %6 = nnc.sqrt %5 : tensor<?x4xf32>
  // CHECK: nnc.abs
  %7 = nnc.abs %6 : tensor<?x4xf32>
  // CHECK: nnc.neg
  %8 = nnc.neg %7 : tensor<?x4xf32>
  // CHECK: nnc.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f64} : tensor<?x4xf32>
  %9 = nnc.leaky_relu %8 {alpha = 0.1 : f64} : tensor<?x4xf32>
  // CHECK: nnc.add %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  %10 = nnc.add %9, %s : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  // CHECK: nnc.sub
  %11 = nnc.sub %10, %s : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  // CHECK: nnc.mul
  %12 = nnc.mul %11, %10 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: nnc.div
  %13 = nnc.div %12, %s : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  // CHECK: nnc.constant dense<2.550000e+02> : tensor<f32>
  %c = nnc.constant dense<255.0> : tensor<f32>
  // CHECK: nnc.output "y"
  nnc.output "y" %13 : tensor<?x4xf32>
  return
}

// CHECK-LABEL: func.func @gradient_ops
func.func @gradient_ops(%x: tensor<?x3xf32>, %labels: tensor<?xi32>, %g: tensor<f32>, %r: tensor<?xf32>) {
  // CHECK: nnc.where_positive %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3xf32>
  %0 = nnc.where_positive %x, %x, %x : tensor<?x3xf32>
  // CHECK: nnc.reduce_grad %{{.*}}, %{{.*}} {axes = array<i64: 1>, mean = true} : tensor<?xf32>, tensor<?x3xf32>
  %1 = nnc.reduce_grad %r, %x {axes = array<i64: 1>, mean = true} : tensor<?xf32>, tensor<?x3xf32>
  // CHECK: nnc.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?xi32>, tensor<f32>
  %2 = nnc.cross_entropy_grad %x, %labels, %g : tensor<?x3xf32>, tensor<?xi32>, tensor<f32>
  // CHECK: nnc.slice %{{.*}} {axis = 1 : i64, size = 2 : i64, start = 1 : i64} : tensor<?x3xf32> -> tensor<?x2xf32>
  %3 = nnc.slice %x {axis = 1 : i64, start = 1 : i64, size = 2 : i64} : tensor<?x3xf32> -> tensor<?x2xf32>
  // CHECK: nnc.gelu_grad %{{.*}}, %{{.*}} : tensor<?x3xf32>
  %4 = nnc.gelu_grad %x, %x : tensor<?x3xf32>
  return
}

// CHECK-LABEL: func.func @layers
func.func @layers(%x: tensor<?x4xf32>, %img: tensor<?x8x8x2xf32>,
                  %ids: tensor<?x5xi32>, %labels: tensor<?xi32>) {
  // CHECK: nnc.load @fc.weight : tensor<4x3xf32>
  %w = nnc.load @fc.weight : tensor<4x3xf32>
  %b = nnc.load @fc.bias : tensor<3xf32>
  %m = nnc.load @bn.mean : tensor<3xf32>
  // CHECK: nnc.matmul %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %0 = nnc.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  // CHECK: nnc.batchnorm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {eps = 1.000000e-03 : f64, momentum = 0.989{{[0-9]*}} : f64} : tensor<?x3xf32>, tensor<3xf32>
  %1 = nnc.batchnorm %0, %b, %b, %m, %m {eps = 0.001 : f64, momentum = 0.99 : f64} : tensor<?x3xf32>, tensor<3xf32>
  // CHECK: nnc.layernorm {{.*}} : tensor<?x3xf32>, tensor<3xf32>
  %2 = nnc.layernorm %1, %b, %b {eps = 1.0e-5 : f64} : tensor<?x3xf32>, tensor<3xf32>
  // CHECK: nnc.normalize {{.*}} : tensor<?x3xf32>, tensor<3xf32>
  %3 = nnc.normalize %2, %m, %m {eps = 1.0e-7 : f64} : tensor<?x3xf32>, tensor<3xf32>
  // CHECK: nnc.dropout {{.*}} {rate = 5.000000e-01 : f64, stream = 0 : i64} : tensor<?x3xf32>
  %4 = nnc.dropout %3 {rate = 0.5 : f64, stream = 0} : tensor<?x3xf32>
  // CHECK: nnc.softmax {{.*}} {axis = 1 : i64} : tensor<?x3xf32>
  %5 = nnc.softmax %4 {axis = 1} : tensor<?x3xf32>
  // CHECK: nnc.log_softmax
  %6 = nnc.log_softmax %4 {axis = 1} : tensor<?x3xf32>
  // CHECK: nnc.cross_entropy {{.*}} -> tensor<f32>
  %7 = nnc.cross_entropy %6, %labels : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  // CHECK: nnc.accuracy {{.*}} -> tensor<f32>
  %8 = nnc.accuracy %6, %labels : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  // CHECK: nnc.mse {{.*}} -> tensor<f32>
  %9 = nnc.mse %5, %6 : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<f32>
  // CHECK: nnc.binary_cross_entropy {{.*}} -> tensor<f32>
  %10 = nnc.binary_cross_entropy %5, %6 : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<f32>
  // CHECK: nnc.loss %{{.*}} : tensor<f32>
  nnc.loss %7 : tensor<f32>
  // CHECK: nnc.metric "accuracy" %{{.*}} : tensor<f32>
  nnc.metric "accuracy" %8 : tensor<f32>

  %e = nnc.load @emb.weight : tensor<10x3xf32>
  // CHECK: nnc.embedding {{.*}} : tensor<10x3xf32>, tensor<?x5xi32> -> tensor<?x5x3xf32>
  %11 = nnc.embedding %e, %ids : tensor<10x3xf32>, tensor<?x5xi32> -> tensor<?x5x3xf32>
  // CHECK: nnc.transpose {{.*}} {perm = array<i64: 0, 2, 1>} : tensor<?x5x3xf32> -> tensor<?x3x5xf32>
  %12 = nnc.transpose %11 {perm = array<i64: 0, 2, 1>} : tensor<?x5x3xf32> -> tensor<?x3x5xf32>
  // CHECK: nnc.reshape {{.*}} : tensor<?x3x5xf32> -> tensor<?x15xf32>
  %13 = nnc.reshape %12 : tensor<?x3x5xf32> -> tensor<?x15xf32>
  // CHECK: nnc.concat {{.*}} {axis = 1 : i64} : tensor<?x15xf32>, tensor<?x4xf32> -> tensor<?x19xf32>
  %14 = nnc.concat %13, %x {axis = 1} : tensor<?x15xf32>, tensor<?x4xf32> -> tensor<?x19xf32>
  // CHECK: nnc.reduce_sum {{.*}} {axes = array<i64: 1>} : tensor<?x19xf32> -> tensor<?xf32>
  %15 = nnc.reduce_sum %14 {axes = array<i64: 1>} : tensor<?x19xf32> -> tensor<?xf32>
  // CHECK: nnc.reduce_mean {{.*}} {axes = array<i64: 0, 1>, keepdims = true} : tensor<?x19xf32> -> tensor<1x1xf32>
  %16 = nnc.reduce_mean %14 {axes = array<i64: 0, 1>, keepdims = true} : tensor<?x19xf32> -> tensor<1x1xf32>
  // CHECK: nnc.reduce_max {{.*}} -> tensor<f32>
  %17 = nnc.reduce_max %15 {axes = array<i64: 0>} : tensor<?xf32> -> tensor<f32>

  %f = nnc.constant dense<1.0> : tensor<3x3x2x4xf32>
  // CHECK: nnc.conv2d {{.*}} {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x8x8x4xf32>
  %18 = nnc.conv2d %img, %f {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x8x8x4xf32>
  // CHECK: nnc.maxpool2d {{.*}} : tensor<?x8x8x4xf32> -> tensor<?x4x4x4xf32>
  %19 = nnc.maxpool2d %18 {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x4xf32> -> tensor<?x4x4x4xf32>
  // CHECK: nnc.avgpool2d {{.*}} : tensor<?x8x8x4xf32> -> tensor<?x3x3x4xf32>
  %20 = nnc.avgpool2d %18 {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x4xf32> -> tensor<?x3x3x4xf32>
  return
}
