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

// -----

// Nothing is fused into an op that reads through windows (a convolution's
// filter gradient): the relu gradient would be computed again for each of
// the 9 windows that hold an element, and nnc-tile-and-vectorize would no
// longer recognize the filter gradient.

#win = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5 + d0, d6 + d1, d2)>
#pix = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>
#fil = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @window_consumer(
// CHECK:         %[[MASKED:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK:           arith.select
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[MASKED]] : {{.*}})
// CHECK-NOT:       arith.select
// CHECK:           arith.mulf
func.func @window_consumer(%x: tensor<?x6x6x8xf32>, %y: tensor<?x4x4x16xf32>, %g: tensor<?x4x4x16xf32>) -> tensor<3x3x8x16xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %g, %c0 : tensor<?x4x4x16xf32>
  %e = tensor.empty(%n) : tensor<?x4x4x16xf32>
  %dy = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %g : tensor<?x4x4x16xf32>, tensor<?x4x4x16xf32>) outs(%e : tensor<?x4x4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.cmpf ogt, %a, %zero : f32
    %s = arith.select %p, %b, %zero : f32
    linalg.yield %s : f32
  } -> tensor<?x4x4x16xf32>
  %fe = tensor.empty() : tensor<3x3x8x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%fe : tensor<3x3x8x16xf32>) -> tensor<3x3x8x16xf32>
  %0 = linalg.generic {indexing_maps = [#win, #pix, #fil], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %dy : tensor<?x6x6x8xf32>, tensor<?x4x4x16xf32>) outs(%init : tensor<3x3x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<3x3x8x16xf32>
  return %0 : tensor<3x3x8x16xf32>
}
