// RUN: nnc-opt %s -split-input-file -nnc-fuse-elementwise | FileCheck %s

// A reshape of a matmul's result (the gradient of a flatten after a dense
// layer) stays a reshape: the matmul is not made a linalg.generic, which
// nnc-tile-and-vectorize would not tile as a matmul.

// CHECK-LABEL: func.func @matmul_expand(
// CHECK:         %[[M:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x6xf32>)
// CHECK:         %[[R:.*]] = tensor.expand_shape %[[M]] {{\[}}[0], [1, 2]]
// CHECK:         return %[[R]]
// CHECK-NOT:     linalg.generic
func.func @matmul_expand(%x: tensor<?x4xf32>, %w: tensor<4x6xf32>) -> tensor<?x2x3xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%n) : tensor<?x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x6xf32>) -> tensor<?x6xf32>
  %m = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x6xf32>) outs(%f : tensor<?x6xf32>) -> tensor<?x6xf32>
  %r = tensor.expand_shape %m [[0], [1, 2]] output_shape [%n, 2, 3] : tensor<?x6xf32> into tensor<?x2x3xf32>
  return %r : tensor<?x2x3xf32>
}

// -----

// The filter gradient's [KH * KW * C, F] -> [KH, KW, C, F] likewise.

// CHECK-LABEL: func.func @transpose_a_expand(
// CHECK:         %[[M:.*]] = linalg.matmul_transpose_a
// CHECK:         tensor.expand_shape %[[M]] {{\[}}[0, 1, 2], [3]]
func.func @transpose_a_expand(%p: tensor<?x18xf32>, %d: tensor<?x4xf32>) -> tensor<3x3x2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<18x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<18x4xf32>) -> tensor<18x4xf32>
  %m = linalg.matmul_transpose_a ins(%p, %d : tensor<?x18xf32>, tensor<?x4xf32>) outs(%f : tensor<18x4xf32>) -> tensor<18x4xf32>
  %r = tensor.expand_shape %m [[0, 1, 2], [3]] output_shape [3, 3, 2, 4] : tensor<18x4xf32> into tensor<3x3x2x4xf32>
  return %r : tensor<3x3x2x4xf32>
}

// -----

// Elementwise generics still fuse, reshapes of generics still fold.

// CHECK-LABEL: func.func @elementwise(
// CHECK:         %[[G:.*]] = linalg.generic
// CHECK:           arith.addf
// CHECK:           arith.maximumf
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return %[[G]] : tensor<?x2x3xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%x: tensor<?x6xf32>, %y: tensor<?x6xf32>) -> tensor<?x2x3xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x6xf32>
  %e = tensor.empty(%n) : tensor<?x6xf32>
  %a = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<?x6xf32>, tensor<?x6xf32>) outs(%e : tensor<?x6xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %s = arith.addf %i, %j : f32
    linalg.yield %s : f32
  } -> tensor<?x6xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<?x6xf32>) outs(%e : tensor<?x6xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.maximumf %i, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x6xf32>
  %r = tensor.expand_shape %b [[0], [1, 2]] output_shape [%n, 2, 3] : tensor<?x6xf32> into tensor<?x2x3xf32>
  return %r : tensor<?x2x3xf32>
}
