// RUN: nnc-opt %s -split-input-file -nnc-lower-to-linalg | FileCheck %s
// RUN: nnc-opt %s -split-input-file -nnc-lower-to-linalg=input-grad-by-taps=1 | FileCheck %s --check-prefix=BYTAPS

// d input, stride 1: the gradient padded by kernel - 1 - padding on each
// side, convolved (stride 1) with the filter flipped in H and W and its
// channels swapped ([KH, KW, F, C]).

// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3) -> (-d0 + 2, -d1 + 2, d3, d2)>
// CHECK-LABEL: func.func @conv_input_grad(
// BYTAPS-LABEL: func.func @conv_input_grad(
// BYTAPS:         linalg.conv_2d_nhwc_hwcf
// CHECK-SAME:    %[[DY:.*]]: tensor<?x7x6x4xf32>, %[[K:.*]]: tensor<3x3x2x4xf32>
// CHECK:         %[[P:.*]] = tensor.pad %[[DY]] low[0, 2, 2, 0] high[0, 2, 2, 0]
// CHECK:         } : tensor<?x7x6x4xf32> to tensor<?x11x10x4xf32>
// CHECK:         %[[F:.*]] = linalg.generic {indexing_maps = [#[[FLIP]], #{{.*}}]{{.*}} ins(%[[K]] : tensor<3x3x2x4xf32>) outs(%{{.*}} : tensor<3x3x4x2xf32>)
// CHECK:         %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%[[P]], %[[F]] : tensor<?x11x10x4xf32>, tensor<3x3x4x2xf32>) outs(%{{.*}} : tensor<?x9x8x2xf32>)
// CHECK:         return %[[C]]
func.func @conv_input_grad(%dy: tensor<?x7x6x4xf32>, %k: tensor<3x3x2x4xf32>) -> tensor<?x9x8x2xf32> {
  %0 = nnc.conv2d_input_grad %dy, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x7x6x4xf32>, tensor<3x3x2x4xf32> -> tensor<?x9x8x2xf32>
  return %0 : tensor<?x9x8x2xf32>
}

// -----

// Stride 2: the gradient is dilated by a strided insert into zeros (its
// padding in the offsets: 2 on top, 1 on the left where the input had 1).
// CHECK-LABEL: func.func @conv_input_grad_strided(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x4x4x4xf32>
// CHECK:         %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x11x10x4xf32>)
// CHECK:         %[[D:.*]] = tensor.insert_slice %[[DY]] into %[[Z]][0, 2, 1, 0] [%{{.*}}, 4, 4, 4] [1, 2, 2, 1]
// CHECK:         linalg.conv_2d_nhwc_hwcf {{.*}} strides = dense<1> {{.*}} ins(%[[D]], %{{.*}} : tensor<?x11x10x4xf32>, tensor<3x3x4x2xf32>) outs(%{{.*}} : tensor<?x9x8x2xf32>)

// With input-grad-by-taps (the CPU pipeline's), dy would be 3 zeros in 4
// there: by taps instead. Y = dy
// W^T ([N*16, 4] x [4, 18]: the filter [3*3*2, 4] transposed), then image
// by image, each tap (kh, kw)'s [4, OW', 2] slice of Y added in place to
// the slice of dx it lands on, every 2nd row and column from
// (kh + 2 * 0 - 0, kw + 2 * c0 - 1). Taps with the same ranges of outputs
// go in one loop: kw = 0 skips output column 0 (its dx column -1, so
// c0 = 1: dx column kw + 1), kw = 1 and 2 take all four (dx column
// kw - 1); every kh takes all 4 rows.

// BYTAPS-LABEL: func.func @conv_input_grad_strided(
// BYTAPS-SAME:    %[[DY:[^:]*]]: tensor<?x4x4x4xf32>, %[[K:[^:]*]]: tensor<3x3x2x4xf32>
// BYTAPS:         %[[FD:.*]] = tensor.collapse_shape %[[DY]] {{\[}}[0, 1, 2], [3]] : tensor<?x4x4x4xf32> into tensor<?x4xf32>
// BYTAPS:         %[[FK:.*]] = tensor.collapse_shape %[[K]] {{\[}}[0, 1, 2], [3]] : tensor<3x3x2x4xf32> into tensor<18x4xf32>
// BYTAPS:         %[[KT:.*]] = linalg.transpose ins(%[[FK]] : tensor<18x4xf32>) outs(%{{.*}} : tensor<4x18xf32>) permutation = [1, 0]
// BYTAPS:         %[[Y:.*]] = linalg.matmul ins(%[[FD]], %[[KT]] : tensor<?x4xf32>, tensor<4x18xf32>)
// BYTAPS:         %[[Y6:.*]] = tensor.expand_shape %[[Y]] {{.*}} into tensor<?x4x4x3x3x2xf32>
// BYTAPS:         scf.forall (%[[N:.*]]) in (%{{.*}}) shared_outs(%[[S:.*]] = %{{.*}}) -> (tensor<?x9x8x2xf32>)
// BYTAPS:           nnc.parallel_work
// BYTAPS:           %[[IMG:.*]] = linalg.fill {{.*}} -> tensor<9x8x2xf32>
// BYTAPS:           scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// BYTAPS:             scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// BYTAPS:               %[[T0:.*]] = tensor.extract_slice %[[Y6]][%[[N]], 0, 1, %[[I]], %[[J]], 0] [1, 4, 3, 1, 1, 2] [1, 1, 1, 1, 1, 1] : tensor<?x4x4x3x3x2xf32> to tensor<4x3x2xf32>
// BYTAPS:               %[[COL0:.*]] = arith.addi %[[J]], %c1{{(_[0-9]+)?}} : index
// BYTAPS:               %[[D0:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, %[[COL0]], 0] [4, 3, 2] [2, 2, 1] : tensor<9x8x2xf32> to tensor<4x3x2xf32>
// BYTAPS:               %[[A0:.*]] = linalg.generic {{.*}} ins(%[[T0]] : tensor<4x3x2xf32>) outs(%[[D0]] : tensor<4x3x2xf32>)
// BYTAPS:                 arith.addf
// BYTAPS:               tensor.insert_slice %[[A0]] into %{{.*}}[%{{.*}}, %[[COL0]], 0] [4, 3, 2] [2, 2, 1]
// BYTAPS:           scf.for
// BYTAPS:             scf.for %[[J1:.*]] = %c1{{(_[0-9]+)?}} to
// BYTAPS:               tensor.extract_slice %[[Y6]][%[[N]], 0, 0, %{{.*}}, %[[J1]], 0] [1, 4, 4, 1, 1, 2]
// BYTAPS:               %[[COL1:.*]] = arith.addi %[[J1]], %c-1{{(_[0-9]+)?}} : index
// BYTAPS:               tensor.extract_slice %{{.*}}[%{{.*}}, %[[COL1]], 0] [4, 4, 2] [2, 2, 1]
// BYTAPS:           tensor.parallel_insert_slice %{{.*}} into %[[S]][%[[N]], 0, 0, 0] [1, 9, 8, 2]
// BYTAPS-NOT:     linalg.conv_2d_nhwc_hwcf
// BYTAPS:         return
func.func @conv_input_grad_strided(%dy: tensor<?x4x4x4xf32>, %k: tensor<3x3x2x4xf32>) -> tensor<?x9x8x2xf32> {
  %0 = nnc.conv2d_input_grad %dy, %k {strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 1, 0>} : tensor<?x4x4x4xf32>, tensor<3x3x2x4xf32> -> tensor<?x9x8x2xf32>
  return %0 : tensor<?x9x8x2xf32>
}

// -----

// Stride 1, a 5 x 5 dx from a 3 x 3 dy (deep_cnn.nn's third layer): padded
// by 2 all round, 144 of the 225 taps would be on zeros: by taps, all 9 in
// one loop nest (the same ranges), each adding its whole 3 x 3 slice of Y
// at (kh, kw). Without the option, a convolution of the padded dy.
// CHECK-LABEL: func.func @conv_input_grad_small_dy(
// CHECK:         tensor.pad
// CHECK:         linalg.conv_2d_nhwc_hwcf

// BYTAPS-LABEL: func.func @conv_input_grad_small_dy(
// BYTAPS:         linalg.matmul {{.*}} : tensor<?x8xf32>, tensor<8x18xf32>)
// BYTAPS:         scf.forall
// BYTAPS:           scf.for %[[I:.*]] = %c0{{.*}} to %c3
// BYTAPS:             scf.for %[[J:.*]] = %c0{{.*}} to %c3
// BYTAPS:               tensor.extract_slice %{{.*}}[%{{.*}}, %{{.*}}, 0] [3, 3, 2] [1, 1, 1] : tensor<5x5x2xf32> to tensor<3x3x2xf32>
// BYTAPS-NOT:       {{scf.for }}
// BYTAPS:           tensor.parallel_insert_slice
// BYTAPS-NOT:     linalg.conv_2d_nhwc_hwcf
// BYTAPS:         return
func.func @conv_input_grad_small_dy(%dy: tensor<?x3x3x8xf32>, %k: tensor<3x3x2x8xf32>) -> tensor<?x5x5x2xf32> {
  %0 = nnc.conv2d_input_grad %dy, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x3x3x8xf32>, tensor<3x3x2x8xf32> -> tensor<?x5x5x2xf32>
  return %0 : tensor<?x5x5x2xf32>
}

// -----

// Padding beyond kernel - 1 (here 1 around a 1x1 kernel): the convolution
// covers the padded rows, then they are cut off.

// CHECK-LABEL: func.func @conv_input_grad_crop(
// CHECK:         %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} outs(%{{.*}} : tensor<?x6x4x2xf32>)
// CHECK:         %[[S:.*]] = tensor.extract_slice %[[C]][0, 1, 0, 0] [%{{.*}}, 4, 4, 2] [1, 1, 1, 1] : tensor<?x6x4x2xf32> to tensor<?x4x4x2xf32>
// CHECK:         return %[[S]]
func.func @conv_input_grad_crop(%dy: tensor<?x6x4x4xf32>, %k: tensor<1x1x2x4xf32>) -> tensor<?x4x4x2xf32> {
  %0 = nnc.conv2d_input_grad %dy, %k {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 0, 0>} : tensor<?x6x4x4xf32>, tensor<1x1x2x4xf32> -> tensor<?x4x4x2xf32>
  return %0 : tensor<?x4x4x2xf32>
}

// -----

// d filter: one contraction over (kh, kw, c, f | n, oh, ow) that reads the
// padded input through its strided windows in place
// (nnc-tile-and-vectorize tiles it: tile-filter-gradient.mlir).

// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5 * 2 + d0, d6 * 2 + d1, d2)>
// CHECK-DAG: #[[PIX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>
// CHECK-DAG: #[[FIL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv_filter_grad(
// CHECK-SAME:    %[[X:.*]]: tensor<?x9x8x8xf32>, %[[DY:.*]]: tensor<?x5x4x4xf32>
// CHECK:         %[[P:.*]] = tensor.pad %[[X]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:         %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3x3x8x4xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[WIN]], #[[PIX]], #[[FIL]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[P]], %[[DY]] : tensor<?x11x10x8xf32>, tensor<?x5x4x4xf32>) outs(%[[Z]] : tensor<3x3x8x4xf32>)
// CHECK:           %[[M:.*]] = arith.mulf
// CHECK:           arith.addf %{{.*}}, %[[M]]
// CHECK:         return %[[G]]
func.func @conv_filter_grad(%x: tensor<?x9x8x8xf32>, %dy: tensor<?x5x4x4xf32>) -> tensor<3x3x8x4xf32> {
  %0 = nnc.conv2d_filter_grad %x, %dy {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x9x8x8xf32>, tensor<?x5x4x4xf32> -> tensor<3x3x8x4xf32>
  return %0 : tensor<3x3x8x4xf32>
}

// -----

// maxpool2d_grad, windows that tile the input (2 x 2, stride 2): the input
// without its last row (7 = 3 * 2 + 1) seen as [N, OH, KH, OW, KW, C], so
// that every map is a projection: (1) each window's first tap equal to its
// max, a min over KH and KW of (x == max ? tap : 4); (2) the window's
// gradient where the element is that tap, collapsed back and padded with
// the uncovered row's zeros.

// CHECK-DAG: #[[ALL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-DAG: #[[POOLED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d3, d5)>
// CHECK-LABEL: func.func @maxpool_grad_tiled(
// CHECK-SAME:    %[[X:.*]]: tensor<?x7x6x2xf32>, %[[Y:.*]]: tensor<?x3x3x2xf32>, %[[DY:.*]]: tensor<?x3x3x2xf32>
// CHECK:         %[[XS:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [%{{.*}}, 6, 6, 2] [1, 1, 1, 1]
// CHECK:         %[[XW:.*]] = tensor.expand_shape %[[XS]] {{\[}}[0], [1, 2], [3, 4], [5]] output_shape [%{{.*}}, 3, 2, 3, 2, 2]
// CHECK:         %[[NONE:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x3x2xf32>)
// CHECK:         %[[FIRST:.*]] = linalg.generic {indexing_maps = [#[[ALL]], #[[POOLED]], #[[POOLED]]], iterator_types = ["parallel", "parallel", "reduction", "parallel", "reduction", "parallel"]} ins(%[[XW]], %[[Y]] : {{.*}}) outs(%[[NONE]] : tensor<?x3x3x2xf32>)
// CHECK:           arith.cmpf oeq
// CHECK:           arith.index_cast %{{.*}} : index to i32
// CHECK:           arith.select
// CHECK:           arith.minimumf
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[POOLED]], #[[POOLED]], #[[ALL]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[FIRST]], %[[DY]] : {{.*}}) outs(%{{.*}} : tensor<?x3x2x3x2x2xf32>)
// CHECK:           arith.cmpf oeq
// CHECK:           arith.select
// CHECK:         %[[DX:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0], [1, 2], [3, 4], [5]] : tensor<?x3x2x3x2x2xf32> into tensor<?x6x6x2xf32>
// CHECK:         %[[P:.*]] = tensor.pad %[[DX]] low[0, 0, 0, 0] high[0, 1, 0, 0]
// CHECK:         return %[[P]]
func.func @maxpool_grad_tiled(%x: tensor<?x7x6x2xf32>, %y: tensor<?x3x3x2xf32>, %dy: tensor<?x3x3x2xf32>) -> tensor<?x7x6x2xf32> {
  %0 = nnc.maxpool2d_grad %x, %y, %dy {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x7x6x2xf32>, tensor<?x3x3x2xf32>
  return %0 : tensor<?x7x6x2xf32>
}

// -----

// maxpool2d_grad, overlapping windows (3 x 3, stride 2): (1) each window's
// first tap equal to its max, a min over the window (sized by an empty
// [3, 3] operand) of (x == max ? tap : 9); (2) each input element sums, over
// the windows that hold it (up to 2 x 2 candidates, the first maxima padded
// by one window of -1), the window's gradient where it is that tap.

// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// CHECK-DAG: #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4)>
// CHECK-DAG: #[[OWNER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 floordiv 2 + d3, d2 floordiv 2 + d4, d5)>
// CHECK-LABEL: func.func @maxpool_grad(
// CHECK-SAME:    %[[X:.*]]: tensor<?x7x7x2xf32>, %[[Y:.*]]: tensor<?x3x3x2xf32>, %[[DY:.*]]: tensor<?x3x3x2xf32>
// CHECK:         %[[W:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK:         %[[NONE:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x3x2xf32>)
// CHECK:         %[[FIRST:.*]] = linalg.generic {indexing_maps = [#[[WIN]], #[[OUT]], #[[TAPS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]} ins(%[[X]], %[[Y]], %[[W]] : {{.*}}) outs(%[[NONE]] : tensor<?x3x3x2xf32>)
// CHECK:           arith.cmpf oeq
// CHECK:           arith.select
// CHECK:           arith.minimumf
// CHECK:         %[[PF:.*]] = tensor.pad %[[FIRST]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:         %[[PDY:.*]] = tensor.pad %[[DY]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:         %[[C:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[OWNER]], #[[OWNER]], #[[TAPS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]} ins(%[[PF]], %[[PDY]], %[[C]] : {{.*}}) outs(%{{.*}} : tensor<?x7x7x2xf32>)
// CHECK:           arith.remui
// CHECK:           arith.cmpi ult
// CHECK:           arith.cmpf oeq
// CHECK:           arith.select
// CHECK:           arith.select
// CHECK:           arith.addf
// CHECK:         return %[[G]]
func.func @maxpool_grad(%x: tensor<?x7x7x2xf32>, %y: tensor<?x3x3x2xf32>, %dy: tensor<?x3x3x2xf32>) -> tensor<?x7x7x2xf32> {
  %0 = nnc.maxpool2d_grad %x, %y, %dy {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x7x7x2xf32>, tensor<?x3x3x2xf32>
  return %0 : tensor<?x7x7x2xf32>
}

// -----

// avgpool2d_grad, overlapping and padded windows: the gradient divided by
// each window's count of unpadded elements, padded by one candidate window
// (2 per dim: ceil(3 / 2)), summed over the candidates into the padded
// input's rows, which are then cut off.

// CHECK-LABEL: func.func @avgpool_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x3x3x2xf32>
// CHECK:         %[[N:.*]] = arith.constant dense<{{\[}}[4.000000e+00, 6.000000e+00, 6.000000e+00], [6.000000e+00, 9.000000e+00, 9.000000e+00], [6.000000e+00, 9.000000e+00, 9.000000e+00]]> : tensor<3x3xf32>
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[DY]], %[[N]] : tensor<?x3x3x2xf32>, tensor<3x3xf32>)
// CHECK:           arith.divf
// CHECK:         %[[P:.*]] = tensor.pad %[[S]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:         %[[C:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK:         %[[G:.*]] = linalg.generic {{.*}} ins(%[[P]], %[[C]] : tensor<?x5x5x2xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<?x7x7x2xf32>)
// CHECK:         %[[R:.*]] = tensor.extract_slice %[[G]][0, 1, 1, 0] [%{{.*}}, 6, 6, 2] [1, 1, 1, 1]
// CHECK:         return %[[R]]
func.func @avgpool_grad(%dy: tensor<?x3x3x2xf32>) -> tensor<?x6x6x2xf32> {
  %0 = nnc.avgpool2d_grad %dy {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x3x3x2xf32> -> tensor<?x6x6x2xf32>
  return %0 : tensor<?x6x6x2xf32>
}

// -----

// reduce_max_grad: the count of maxima per row, then dy / count where x is
// the max.

// CHECK-LABEL: func.func @reduce_max_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<?xf32>, %[[X:.*]]: tensor<?x5xf32>, %[[M:.*]]: tensor<?xf32>
// CHECK:         %[[CNT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[M]] : tensor<?x5xf32>, tensor<?xf32>)
// CHECK:           arith.cmpf oeq
// CHECK:           arith.uitofp
// CHECK:           arith.addf
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[M]], %[[DY]], %[[CNT]] : {{.*}})
// CHECK:           arith.divf
// CHECK:           arith.cmpf oeq
// CHECK:           arith.select
// CHECK:         return %[[R]]
func.func @reduce_max_grad(%dy: tensor<?xf32>, %x: tensor<?x5xf32>, %m: tensor<?xf32>) -> tensor<?x5xf32> {
  %0 = nnc.reduce_max_grad %dy, %x, %m {axes = array<i64: 1>} : tensor<?xf32>, tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

// embedding_grad: a loop over the ids (flattened) adding each gradient row
// into the table row of its (clamped) id.

// CHECK-LABEL: func.func @embedding_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x4x3xf32>, %[[IDS:.*]]: tensor<?x4xi32>
// CHECK:         %[[I:.*]] = tensor.collapse_shape %[[IDS]] {{\[}}[0, 1]] : tensor<?x4xi32> into tensor<?xi32>
// CHECK:         %[[G:.*]] = tensor.collapse_shape %[[DY]] {{\[}}[0, 1], [2]] : tensor<?x4x3xf32> into tensor<?x3xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[I]]
// CHECK:         %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<7x3xf32>)
// CHECK:         %[[T:.*]] = scf.for %[[P:.*]] = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[A:.*]] = %[[Z]]) -> (tensor<7x3xf32>)
// CHECK:           %[[ID:.*]] = tensor.extract %[[I]][%[[P]]]
// CHECK:           arith.maxsi
// CHECK:           %[[ROW:.*]] = arith.minsi
// CHECK:           %[[SRC:.*]] = tensor.extract_slice %[[G]][%[[P]], 0] [1, 3] [1, 1] : tensor<?x3xf32> to tensor<3xf32>
// CHECK:           %[[DST:.*]] = tensor.extract_slice %[[A]][%[[ROW]], 0] [1, 3] [1, 1] : tensor<7x3xf32> to tensor<3xf32>
// CHECK:           %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[SRC]] : tensor<3xf32>) outs(%[[DST]] : tensor<3xf32>)
// CHECK:             arith.addf
// CHECK:           %[[U:.*]] = tensor.insert_slice %[[SUM]] into %[[A]][%[[ROW]], 0] [1, 3] [1, 1]
// CHECK:           scf.yield %[[U]]
// CHECK:         return %[[T]]
func.func @embedding_grad(%dy: tensor<?x4x3xf32>, %ids: tensor<?x4xi32>) -> tensor<7x3xf32> {
  %0 = nnc.embedding_grad %dy, %ids : tensor<?x4x3xf32>, tensor<?x4xi32> -> tensor<7x3xf32>
  return %0 : tensor<7x3xf32>
}
