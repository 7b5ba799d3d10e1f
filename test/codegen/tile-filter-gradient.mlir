// RUN: nnc-opt %s -nnc-tile-and-vectorize="vector-bits=512" | FileCheck %s
// RUN: nnc-opt %s -nnc-tile-and-vectorize="tile-m=4 tile-n=16 vector-bits=256" | FileCheck %s --check-prefix=AVX2

// A convolution's filter gradient (3 x 3, stride 2, 12 channels, 32
// filters), as nnc-lower-to-linalg builds it. The gradient is seen as
// [KH, KW * C, F] = [3, 36, 32] and x as [N, 11, 10 * 12]: for a pixel
// (oh, ow) and a row of taps kh, the 36 rows (kw, c) meet the 36 elements
// of x from (oh * 2 + kh, ow * 2 * 12). The batch in 4 parts (a forall,
// each part [min(p * ceil(N/4), N), min(+ ceil(N/4), N))) that accumulate
// partial gradients of their own, image by image and tap row by tap row,
// in register tiles of rows x filters (8 x 32: 36 rows are 4 tiles of 8
// and one of 4) that stay in registers over the image's 5 x 4 pixels, one
// outer product per pixel; then the 4 parts added up and expanded back to
// [KH, KW, C, F].

// CHECK-LABEL: func.func @filter_gradient(
// CHECK-SAME:    %[[X:.*]]: tensor<?x11x10x12xf32>, %[[DY:.*]]: tensor<?x5x4x32xf32>
// CHECK:         %[[XR:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : tensor<?x11x10x12xf32> into tensor<?x11x120xf32>
// CHECK:         %[[ZEROS:.*]] = scf.for {{.*}} -> (tensor<4x3x36x32xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[DY]], %c0
// CHECK:         %[[PARTS:.*]] = scf.forall (%[[P:.*]]) in (4) shared_outs(%[[ALL:.*]] = %[[ZEROS]])
// CHECK-NEXT:      nnc.parallel_work
// CHECK:           %[[FIRST:.*]] = arith.minui %{{.*}}, %[[N]]
// CHECK:           %[[LAST:.*]] = arith.minui %{{.*}}, %[[N]]
// CHECK:           %[[MINE:.*]] = tensor.extract_slice %[[ALL]][%[[P]], 0, 0, 0] [1, 3, 36, 32]
// CHECK:           %[[SUM:.*]] = scf.for %[[IMG:.*]] = %[[FIRST]] to %[[LAST]] step %c1 iter_args(%{{.*}} = %[[MINE]])
// CHECK:             scf.for %[[KH:.*]] = %c0 to %c3
// CHECK:               scf.for %[[R0:.*]] = %c0 to %c32 step %c8
// CHECK:                 %[[ACC:.*]] = tensor.extract_slice %{{.*}}[%[[KH]], %[[R0]], 0] [1, 8, 32]
// CHECK:                 %[[R:.*]] = vector.transfer_read %[[ACC]]{{.*}} vector<8x32xf32>
// CHECK:                 %[[T:.*]] = scf.for %{{.*}} = %c0 to %c5 step %c1 iter_args(%{{.*}} = %[[R]]) -> (vector<8x32xf32>)
// CHECK:                   scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// CHECK:                     tensor.extract_slice %[[XR]][%[[IMG]], %{{.*}}, %{{.*}}] [1, 1, 8]
// CHECK:                     tensor.extract_slice %[[DY]][%[[IMG]], %{{.*}}, %{{.*}}, 0] [1, 1, 1, 32]
// CHECK:                     vector.contract {{.*}} vector<8x32x1xf32>, vector<8x32x1xf32> into vector<8x32xf32>
// CHECK:                 vector.transfer_write %[[T]]
// CHECK:                 tensor.insert_slice {{.*}}[%[[KH]], %[[R0]], 0] [1, 8, 32]
// CHECK:               tensor.extract_slice %{{.*}}[%[[KH]], 32, 0] [1, 4, 32]
// CHECK:               vector.contract {{.*}} into vector<4x32xf32>
// CHECK:               tensor.insert_slice {{.*}}[%[[KH]], 32, 0] [1, 4, 32]
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %[[SUM]] into %[[ALL]][%[[P]], 0, 0, 0] [1, 3, 36, 32]
// CHECK-DAG:     tensor.extract_slice %[[PARTS]][0, 0, 0, 0]
// CHECK-DAG:     tensor.extract_slice %[[PARTS]][3, 0, 0, 0]
// CHECK:         arith.addf
// CHECK:         arith.addf
// CHECK:         arith.addf
// CHECK:         %[[DW:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3]] output_shape [3, 3, 12, 32]
// CHECK:         return %[[DW]]

// With AVX2's register tiles (4 x 16): 36 rows in 9 tiles of 4, 32
// filters in 2 of 16.
// AVX2-LABEL: func.func @filter_gradient(
// AVX2:         scf.forall (%{{.*}}) in (4)
// AVX2:           scf.for %{{.*}} = %c0 to %c36 step %c4
// AVX2:             scf.for %{{.*}} = %c0 to %c32 step %c16
// AVX2:               vector.contract {{.*}} into vector<4x16xf32>
// AVX2-NOT:       vector.contract

#win = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5 * 2 + d0, d6 * 2 + d1, d2)>
#pix = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>
#fil = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
func.func @filter_gradient(%x: tensor<?x11x10x12xf32>, %dy: tensor<?x5x4x32xf32>) -> tensor<3x3x12x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x3x12x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<3x3x12x32xf32>) -> tensor<3x3x12x32xf32>
  %0 = linalg.generic {indexing_maps = [#win, #pix, #fil], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %dy : tensor<?x11x10x12xf32>, tensor<?x5x4x32xf32>) outs(%init : tensor<3x3x12x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<3x3x12x32xf32>
  return %0 : tensor<3x3x12x32xf32>
}
