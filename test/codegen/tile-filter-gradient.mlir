// RUN: nnc-opt %s -allow-unregistered-dialect -nnc-tile-and-vectorize="vector-bits=512" | FileCheck %s
// RUN: nnc-opt %s -allow-unregistered-dialect -nnc-tile-and-vectorize="tile-m=4 tile-n=16 vector-bits=256" | FileCheck %s --check-prefix=AVX2

// A convolution's filter gradient (3 x 3, stride 2, 12 channels, 32
// filters), as nnc-lower-to-linalg builds it. The gradient is seen as
// [KH, KW * C, F] = [3, 36, 32] and x as [N, 11, 10 * 12]: for a pixel
// (oh, ow) and a row of taps kh, the 36 rows (kw, c) meet the 36 elements
// of x from (oh * 2 + kh, ow * 2 * 12). The batch in 4 parts (a forall,
// each part [min(p * ceil(N/4), N), min(+ ceil(N/4), N))) that accumulate
// partial gradients of their own, tap row by tap row, in register tiles
// of rows x filters (8 x 32: 36 rows are 4 tiles of 8 and one of 4) that
// stay in registers over a group's images' 5 x 4 pixels, one outer
// product per pixel: 20 pixels make groups of 4 images (at least 64 steps
// between a tile's load and store), the last one smaller; then the 4
// parts added up and expanded back to [KH, KW, C, F].

// CHECK-LABEL: func.func @filter_gradient(
// CHECK-SAME:    %[[X:.*]]: tensor<?x11x10x12xf32>, %[[DY:.*]]: tensor<?x5x4x32xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK:         %[[XR:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : tensor<?x11x10x12xf32> into tensor<?x11x120xf32>
// CHECK:         %[[ZEROS:.*]] = scf.for {{.*}} -> (tensor<4x3x36x32xf32>)
// CHECK:         %[[PARTS:.*]] = scf.forall (%[[P:.*]]) in (4) shared_outs(%[[ALL:.*]] = %[[ZEROS]])
// CHECK-NEXT:      nnc.parallel_work
// CHECK:           %[[FIRST:.*]] = arith.minui %{{.*}}, %[[N]]
// CHECK:           %[[LAST:.*]] = arith.minui %{{.*}}, %[[N]]
// CHECK:           %[[MINE:.*]] = tensor.extract_slice %[[ALL]][%[[P]], 0, 0, 0] [1, 3, 36, 32]
// CHECK:           %[[SUM:.*]] = scf.for %[[G0:.*]] = %[[FIRST]] to %[[LAST]] step %c4 iter_args(%{{.*}} = %[[MINE]])
// CHECK:             %[[LEFT:.*]] = arith.subi %[[LAST]], %[[G0]]
// CHECK:             %[[COUNT:.*]] = arith.minui %[[LEFT]], %c4
// CHECK:             scf.for %[[KH:.*]] = %c0 to %c3
// CHECK:               scf.for %[[R0:.*]] = %c0 to %c32 step %c8
// CHECK:                 %[[ACC:.*]] = tensor.extract_slice %{{.*}}[%[[KH]], %[[R0]], 0] [1, 8, 32]
// CHECK:                 %[[R:.*]] = vector.transfer_read %[[ACC]]{{.*}} vector<8x32xf32>
// CHECK:                 %[[T:.*]] = scf.for %[[J:.*]] = %c0 to %[[COUNT]] step %c1 iter_args(%{{.*}} = %[[R]]) -> (vector<8x32xf32>)
// CHECK:                   %[[IMG:.*]] = arith.addi %[[G0]], %[[J]]
// CHECK:                   scf.for %{{.*}} = %c0 to %c5 step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK:                     scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// CHECK:                       tensor.extract_slice %[[XR]][%[[IMG]], %{{.*}}, %{{.*}}] [1, 1, 8]
// CHECK:                       tensor.extract_slice %[[DY]][%[[IMG]], %{{.*}}, %{{.*}}, 0] [1, 1, 1, 32]
// CHECK:                       vector.contract {{.*}} vector<8x32x1xf32>, vector<8x32x1xf32> into vector<8x32xf32>
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

// -----

// dy computed image by image inside the loop: a producer chain that only
// the filter gradient and a bias gradient read (here g * 2 masked by the
// activation; in cnn.nn the pooling gradient's routing, through a
// collapse_shape) is tiled to the image in the loop, and the bias gradient
// summed there into a [4, F] partial of its own (filled in place), then its
// rows added up. Nothing of dy is left whole outside the loop. 16 pixels
// make groups of 4 images: their dy go into a [4, 4, 4, 16] buffer (a
// loop-carried tensor, allocated once) that the register tiles read; the
// bias gradient adds each image's dy where it is computed.

// CHECK-LABEL: func.func @fused_dy(
// CHECK-SAME:    %[[X:.*]]: tensor<?x6x6x8xf32>, %[[G:.*]]: tensor<?x2x2x2x2x16xf32>, %[[ACT:.*]]: tensor<?x2x2x2x2x16xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         %[[PARTS:.*]]:2 = scf.forall (%[[P:.*]]) in (4) shared_outs(%[[ALL:.*]] = %{{.*}}, %[[BIAS:.*]] = %{{.*}})
// CHECK:           %[[ROW:.*]] = tensor.extract_slice %[[BIAS]][%[[P]], 0] [1, 16] [1, 1] : tensor<4x16xf32> to tensor<16xf32>
// CHECK:           %[[SUMS:.*]]:3 = scf.for %[[G0:[a-z0-9]+]] = {{.*}} step %c4 {{.*}} -> (tensor<3x24x16xf32>, tensor<4x4x4x16xf32>, vector<16xf32>)
// CHECK:             %[[COUNT:.*]] = arith.minui %{{.*}}, %c4
// CHECK:             %[[BUF:.*]]:2 = scf.for %[[J:.*]] = %c0 to %[[COUNT]] {{.*}} -> (tensor<4x4x4x16xf32>, vector<16xf32>)
// CHECK:               %[[IMG:.*]] = arith.addi %[[G0]], %[[J]]
// CHECK:               tensor.extract_slice %[[G]][%[[IMG]], 0, 0, 0, 0, 0] [1, 2, 2, 2, 2, 16]
// CHECK:               arith.mulf {{.*}} : vector<1x1x1x2x2x16xf32>
// CHECK:               tensor.extract_slice %[[ACT]][%[[IMG]], 0, 0, 0, 0, 0] [1, 2, 2, 2, 2, 16]
// CHECK:               arith.cmpf ogt
// CHECK:               arith.select
// CHECK:               %[[DYIMG:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2], [3, 4], [5]] : tensor<1x2x2x2x2x16xf32> into tensor<1x4x4x16xf32>
// CHECK:               tensor.insert_slice %[[DYIMG]] into %{{.*}}[%[[J]], 0, 0, 0] [1, 4, 4, 16]
// CHECK:               scf.for {{.*}} -> (vector<16xf32>)
// CHECK:                 tensor.extract_slice %[[DYIMG]][0,
// CHECK:                 vector.multi_reduction <add>, {{.*}} : vector<1x1x4x16xf32> to vector<16xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %[[COUNT]]
// CHECK:               tensor.extract_slice %[[BUF]]#0[
// CHECK:               vector.contract
// CHECK:           %[[B:.*]] = vector.transfer_write %[[SUMS]]#2, %[[ROW]]
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %[[SUMS]]#0 into %[[ALL]]
// CHECK-NEXT:        tensor.parallel_insert_slice %[[B]] into %[[BIAS]][%[[P]], 0] [1, 16] [1, 1]
// CHECK:         tensor.extract_slice %[[PARTS]]#1[0, 0] [1, 16] [1, 1]
// CHECK:         tensor.extract_slice %[[PARTS]]#1[3, 0] [1, 16] [1, 1]
// CHECK-NOT:     linalg.generic
// CHECK:         return %{{.*}}, %{{.*}} : tensor<3x3x8x16xf32>, tensor<16xf32>
// AVX2-LABEL: func.func @fused_dy(

#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
#win1 = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5 + d0, d6 + d1, d2)>
#all4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @fused_dy(%x: tensor<?x6x6x8xf32>, %g: tensor<?x2x2x2x2x16xf32>, %act: tensor<?x2x2x2x2x16xf32>) -> (tensor<3x3x8x16xf32>, tensor<16xf32>) {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?x2x2x2x2x16xf32>
  %e6 = tensor.empty(%n) : tensor<?x2x2x2x2x16xf32>
  %doubled = linalg.generic {indexing_maps = [#id6, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%g : tensor<?x2x2x2x2x16xf32>) outs(%e6 : tensor<?x2x2x2x2x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  } -> tensor<?x2x2x2x2x16xf32>
  %masked = linalg.generic {indexing_maps = [#id6, #id6, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%doubled, %act : tensor<?x2x2x2x2x16xf32>, tensor<?x2x2x2x2x16xf32>) outs(%e6 : tensor<?x2x2x2x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %pos = arith.cmpf ogt, %b, %zero : f32
    %r = arith.select %pos, %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x2x2x2x2x16xf32>
  %dy = tensor.collapse_shape %masked [[0], [1, 2], [3, 4], [5]] : tensor<?x2x2x2x2x16xf32> into tensor<?x4x4x16xf32>
  %eb = tensor.empty() : tensor<16xf32>
  %b0 = linalg.fill ins(%zero : f32) outs(%eb : tensor<16xf32>) -> tensor<16xf32>
  %bias = linalg.generic {indexing_maps = [#all4, #chan], iterator_types = ["reduction", "reduction", "reduction", "parallel"]} ins(%dy : tensor<?x4x4x16xf32>) outs(%b0 : tensor<16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %e = tensor.empty() : tensor<3x3x8x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<3x3x8x16xf32>) -> tensor<3x3x8x16xf32>
  %dw = linalg.generic {indexing_maps = [#win1, #pix, #fil], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %dy : tensor<?x6x6x8xf32>, tensor<?x4x4x16xf32>) outs(%init : tensor<3x3x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<3x3x8x16xf32>
  return %dw, %bias : tensor<3x3x8x16xf32>, tensor<16xf32>
}

// -----

// The same when something reads the bias gradient before the filter
// gradient (a distributed build's all-reduce, started as soon as a
// gradient is ready): the bias gradient stays an op of its own, and so
// does dy.

// CHECK-LABEL: func.func @bias_read_early(
// CHECK:         scf.forall (%{{.*}}) in (4) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<4x16xf32>)
// CHECK:         "test.use"
// CHECK:         scf.forall (%{{.*}}) in (4) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<4x3x24x16xf32>)
// AVX2-LABEL: func.func @bias_read_early(

func.func @bias_read_early(%x: tensor<?x6x6x8xf32>, %g: tensor<?x2x2x2x2x16xf32>, %act: tensor<?x2x2x2x2x16xf32>) -> (tensor<3x3x8x16xf32>, tensor<16xf32>) {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %g, %c0 : tensor<?x2x2x2x2x16xf32>
  %e6 = tensor.empty(%n) : tensor<?x2x2x2x2x16xf32>
  %doubled = linalg.generic {indexing_maps = [#id6, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%g : tensor<?x2x2x2x2x16xf32>) outs(%e6 : tensor<?x2x2x2x2x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  } -> tensor<?x2x2x2x2x16xf32>
  %masked = linalg.generic {indexing_maps = [#id6, #id6, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%doubled, %act : tensor<?x2x2x2x2x16xf32>, tensor<?x2x2x2x2x16xf32>) outs(%e6 : tensor<?x2x2x2x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %pos = arith.cmpf ogt, %b, %zero : f32
    %r = arith.select %pos, %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x2x2x2x2x16xf32>
  %dy = tensor.collapse_shape %masked [[0], [1, 2], [3, 4], [5]] : tensor<?x2x2x2x2x16xf32> into tensor<?x4x4x16xf32>
  %eb = tensor.empty() : tensor<16xf32>
  %b0 = linalg.fill ins(%zero : f32) outs(%eb : tensor<16xf32>) -> tensor<16xf32>
  %bias = linalg.generic {indexing_maps = [#all4, #chan], iterator_types = ["reduction", "reduction", "reduction", "parallel"]} ins(%dy : tensor<?x4x4x16xf32>) outs(%b0 : tensor<16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %early = "test.use"(%bias) : (tensor<16xf32>) -> tensor<16xf32>
  %e = tensor.empty() : tensor<3x3x8x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<3x3x8x16xf32>) -> tensor<3x3x8x16xf32>
  %dw = linalg.generic {indexing_maps = [#win1, #pix, #fil], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %dy : tensor<?x6x6x8xf32>, tensor<?x4x4x16xf32>) outs(%init : tensor<3x3x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<3x3x8x16xf32>
  return %dw, %early : tensor<3x3x8x16xf32>, tensor<16xf32>
}

// -----

// 64 pixels an image (8 x 8): image by image, as before groups; each
// tile's steps run over one image's pixels.
// CHECK-LABEL: func.func @filter_gradient_by_image(
// CHECK:         scf.forall
// CHECK:           scf.for %[[IMG:.*]] = %{{.*}} to %{{.*}} step %c1
// CHECK-NOT:         arith.minui
// CHECK:             scf.for %{{.*}} = %c0 to %c3
// CHECK:               vector.transfer_read {{.*}} vector<8x16xf32>
// CHECK-NEXT:          scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(%{{.*}}) -> (vector<8x16xf32>)
// CHECK:                 scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK:                   tensor.extract_slice %{{.*}}[%[[IMG]], %{{.*}}, %{{.*}}] [1, 1, 8]
func.func @filter_gradient_by_image(%x: tensor<?x17x17x8xf32>, %dy: tensor<?x8x8x16xf32>) -> tensor<3x3x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x3x8x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<3x3x8x16xf32>) -> tensor<3x3x8x16xf32>
  %0 = linalg.generic {indexing_maps = [#win, #pix, #fil], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %dy : tensor<?x17x17x8xf32>, tensor<?x8x8x16xf32>) outs(%init : tensor<3x3x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<3x3x8x16xf32>
  return %0 : tensor<3x3x8x16xf32>
}
