// RUN: nnc-opt %s -split-input-file -nnc-tile-and-vectorize | FileCheck %s
// RUN: nnc-opt %s -split-input-file -nnc-tile-and-vectorize="tile-m=4 tile-n=16" | FileCheck %s --check-prefix=SMALL

// A dense layer: the matmul and its bias + relu epilogue are tiled together.
// Threads take 64 x 32 output blocks (scf.forall); each walks its rows 8 at a
// time; for each 8 x 32 register tile, a loop over K (step 4) accumulates in
// a vector<8x32xf32> with vector.contract, and the epilogue runs on that
// vector right after it. The loop's body starts with its work (N x 128 x
// 784 multiply-adds) for nnc-parallel-to-openmp, which does not fork
// threads for too little. The remainder rows (fewer than 8: all of them at
// batch 1-7) go to a second, peeled loop; W (784 x 128) is larger than L1,
// so that each of its rows is read for as many rows at once as there are:
// a 4-row tile if 4 are left, then a 2-row one, then the last row alone
// (a vector<1x32xf32> register tile: a matrix-vector product); batch 7 is
// 4 + 2 + 1. With tile-m=4 tile-n=16, the blocks are 64 x 16, the register
// tile vector<4x16xf32>, and the rows left go 2 then 1.

// CHECK-LABEL: func.func @dense_relu(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x784xf32>
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-DAG:     %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C784:.*]] = arith.constant 784 : index
// CHECK-DAG:     %[[ROWWORK:.*]] = arith.constant 100352 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK:         %[[WORK:.*]] = arith.muli %[[N]], %[[ROWWORK]] : index
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%[[N]], 128) step (64, 32)
// CHECK-NEXT:      nnc.parallel_work %[[WORK]]
// CHECK:           %[[FULL:.*]] = scf.for %{{.*}} = %c0 to %{{.*}} step %[[C8]] iter_args(%{{.*}}) -> (tensor<?x32xf32>)
// CHECK:             %[[ACC:.*]] = scf.for %{{.*}} = %c0 to %[[C784]] step %[[C4]] iter_args(%[[A:.*]] = %[[ZERO]]) -> (vector<8x32xf32>)
// CHECK:               %[[C:.*]] = vector.contract {{.*}} %[[A]] : {{.*}} into vector<8x32xf32>
// CHECK:               scf.yield %[[C]] : vector<8x32xf32>
// CHECK:             }
// CHECK:             %[[BIAS:.*]] = vector.transfer_read {{.*}} : tensor<32xf32>, vector<8x32xf32>
// CHECK:             %[[S:.*]] = arith.addf %[[ACC]], %[[BIAS]] : vector<8x32xf32>
// CHECK:             %[[R:.*]] = arith.maximumf %[[S]], %[[ZERO]] : vector<8x32xf32>
// CHECK:             vector.transfer_write %[[R]]
// CHECK:           }
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C8]] iter_args(%{{.*}} = %[[FULL]])
// CHECK:             scf.for %{{.*}} = %c0 to %{{.*}} step %[[C4]] iter_args(%{{.*}}) -> (tensor<?x32xf32>)
// CHECK:               scf.for %{{.*}} = %c0 to %[[C784]] step %[[C4]] iter_args(%{{.*}}) -> (vector<4x32xf32>)
// CHECK:                 vector.contract {{.*}} into vector<4x32xf32>
// CHECK:               arith.maximumf %{{.*}} : vector<4x32xf32>
// CHECK:             scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C4]] iter_args
// CHECK:               scf.for %{{.*}} = %c0 to %{{.*}} step %c2 iter_args(%{{.*}}) -> (tensor<?x32xf32>)
// CHECK:                 scf.for %{{.*}} = %c0 to %[[C784]] step %[[C4]] iter_args(%{{.*}}) -> (vector<2x32xf32>)
// CHECK:                   vector.contract {{.*}} into vector<2x32xf32>
// CHECK:               scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c2 iter_args
// CHECK:                 scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (tensor<?x32xf32>)
// CHECK:                   scf.for %{{.*}} = %c0 to %[[C784]] step %[[C4]] iter_args(%{{.*}}) -> (vector<1x32xf32>)
// CHECK:                     vector.contract {{.*}} into vector<1x32xf32>
// CHECK:                   arith.maximumf %{{.*}} : vector<1x32xf32>
// CHECK-NOT:         linalg.matmul
// CHECK:           scf.forall.in_parallel

// SMALL-LABEL: func.func @dense_relu(
// SMALL:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 128) step (64, 16)
// SMALL:           scf.for %{{.*}} = %c0 to %{{.*}} step %c4 iter_args(%{{.*}}) -> (tensor<?x16xf32>)
// SMALL:             scf.for %{{.*}} = %c0 to %c784 step %c4 iter_args(%{{.*}}) -> (vector<4x16xf32>)
// SMALL:               vector.contract {{.*}} into vector<4x16xf32>
// SMALL:             arith.addf %{{.*}} : vector<4x16xf32>
// SMALL:             arith.maximumf %{{.*}} : vector<4x16xf32>
// SMALL:             vector.contract {{.*}} into vector<2x16xf32>
// SMALL:             vector.contract {{.*}} into vector<1x16xf32>
// SMALL-NOT:     vector<8x32xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @dense_relu(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x784xf32>
  %e = tensor.empty(%n) : tensor<?x128xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x128xf32>) -> tensor<?x128xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x784xf32>, tensor<784x128xf32>) outs(%acc : tensor<?x128xf32>) -> tensor<?x128xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<?x128xf32>, tensor<128xf32>) outs(%e : tensor<?x128xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// Training's forward: the activation of a dense layer is also read by a
// row-wise op of the backward (here a mask by its sign, as relu's gradient
// does). That op's per-sample loop does not take the bias + relu in as a
// producer to recompute: the matmul keeps its epilogue in its register
// tiles, as in inference, and the mask reads the stored activation.

// CHECK-LABEL: func.func @dense_relu_read_twice(
// CHECK:         %[[H:.*]] = scf.forall {{.*}} -> (tensor<?x128xf32>)
// CHECK:           %[[ACC:.*]] = scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK:             vector.contract
// CHECK:           %[[S:.*]] = arith.addf %[[ACC]], %{{.*}} : vector<8x32xf32>
// CHECK:           arith.maximumf %[[S]], %{{.*}} : vector<8x32xf32>
// CHECK:         scf.forall
// CHECK:           tensor.extract_slice %[[H]]
// CHECK-NOT:       vector.contract
// CHECK:           arith.cmpf ogt
// CHECK:           arith.select
// CHECK-NOT:     linalg.matmul
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @dense_relu_read_twice(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>, %dy: tensor<?x128xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x784xf32>
  %e = tensor.empty(%n) : tensor<?x128xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x128xf32>) -> tensor<?x128xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x784xf32>, tensor<784x128xf32>) outs(%acc : tensor<?x128xf32>) -> tensor<?x128xf32>
  %h = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<?x128xf32>, tensor<128xf32>) outs(%e : tensor<?x128xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x128xf32>
  %dx = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%h, %dy : tensor<?x128xf32>, tensor<?x128xf32>) outs(%e : tensor<?x128xf32>) {
  ^bb0(%a: f32, %g: f32, %out: f32):
    %p = arith.cmpf ogt, %a, %zero : f32
    %v = arith.select %p, %g, %a : f32
    linalg.yield %v : f32
  } -> tensor<?x128xf32>
  return %h, %dx : tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// A convolution and its epilogue: threads over (sample, output row); the
// 14 output columns in steps of 7 (a divisor: no remainder loop); the 3 x 3
// window one tap at a time, each tap a vector.contract of the 7 x 4 input
// pixels with the 4 x 32 filter slice into a vector<1x7x32xf32> accumulator;
// then bias + relu on the same tile.

// CHECK-LABEL: func.func @conv_relu(
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG:     %[[C7:.*]] = arith.constant 7 : index
// CHECK-DAG:     %[[C14:.*]] = arith.constant 14 : index
// CHECK:         %[[N:.*]] = tensor.dim
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) in (%[[N]], 14)
// CHECK:           scf.for %{{.*}} = %c0 to %[[C14]] step %[[C7]]
// CHECK:             %[[ACC:.*]] = scf.for %{{.*}} = %c0 to %[[C3]] step %[[C1]] iter_args(%{{.*}}) -> (vector<1x7x32xf32>)
// CHECK:               scf.for %{{.*}} = %c0 to %[[C3]] step %[[C1]] iter_args(%[[A:.*]] = %{{.*}}) -> (vector<1x7x32xf32>)
// CHECK:                 vector.transfer_read {{.*}} : tensor<1x7x4xf32>, vector<1x7x4xf32>
// CHECK:                 vector.contract {{.*}}, %[[A]] : vector<1x7x4xf32>, vector<4x32xf32> into vector<1x7x32xf32>
// CHECK:             vector.transfer_write %[[ACC]]
// CHECK:             arith.addf {{.*}} : vector<1x1x7x32xf32>
// CHECK:             arith.maximumf {{.*}} : vector<1x1x7x32xf32>
// CHECK-NOT:       scf.for
// CHECK:           scf.forall.in_parallel
// CHECK-NOT:     linalg.conv
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @conv_relu(%x: tensor<?x16x16x4xf32>, %f: tensor<3x3x4x32xf32>, %b: tensor<32xf32>) -> tensor<?x14x14x32xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x16x16x4xf32>
  %e = tensor.empty(%n) : tensor<?x14x14x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x14x14x32xf32>) -> tensor<?x14x14x32xf32>
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %f : tensor<?x16x16x4xf32>, tensor<3x3x4x32xf32>) outs(%acc : tensor<?x14x14x32xf32>) -> tensor<?x14x14x32xf32>
  %y = linalg.generic {indexing_maps = [#id4, #ch, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%conv, %b : tensor<?x14x14x32xf32>, tensor<32xf32>) outs(%e : tensor<?x14x14x32xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x14x14x32xf32>
  return %y : tensor<?x14x14x32xf32>
}

// -----

// Over more than 32 input channels (here 40), each tap also steps through
// the channels, 8 at a time (the largest power of two up to 16 that
// divides 40), instead of unrolling all 40 into the tap's FMAs.

// CHECK-LABEL: func.func @conv_many_channels(
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C40:.*]] = arith.constant 40 : index
// CHECK:         scf.forall
// CHECK:           scf.for {{.*}} -> (vector<1x7x32xf32>)
// CHECK:             scf.for {{.*}} -> (vector<1x7x32xf32>)
// CHECK:               scf.for %{{.*}} = %c0 to %[[C40]] step %[[C8]] iter_args(%[[A:.*]] = %{{.*}}) -> (vector<1x7x32xf32>)
// CHECK:                 vector.contract {{.*}}, %[[A]] : vector<1x7x8xf32>, vector<8x32xf32> into vector<1x7x32xf32>
func.func @conv_many_channels(%x: tensor<?x16x16x40xf32>, %f: tensor<3x3x40x32xf32>) -> tensor<?x14x14x32xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x16x16x40xf32>
  %e = tensor.empty(%n) : tensor<?x14x14x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x14x14x32xf32>) -> tensor<?x14x14x32xf32>
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %f : tensor<?x16x16x40xf32>, tensor<3x3x40x32xf32>) outs(%acc : tensor<?x14x14x32xf32>) -> tensor<?x14x14x32xf32>
  return %conv : tensor<?x14x14x32xf32>
}

// -----

// A row of up to 1.25 tile-m columns is one tile: 5 columns with tile-m=4
// (AVX2's) as one tile of 5, not a tile of 4 and a one-column rest whose
// FMAs wait on each other.
// CHECK-LABEL: func.func @conv_five_columns(
// CHECK:         scf.for {{.*}} -> (vector<1x5x32xf32>)
// SMALL-LABEL: func.func @conv_five_columns(
// SMALL:         scf.forall
// SMALL:           scf.for {{.*}} -> (vector<1x5x16xf32>)
// SMALL-NOT:       vector<1x4x16xf32>
// SMALL-NOT:       vector<1x1x16xf32>
// SMALL:           scf.forall.in_parallel
func.func @conv_five_columns(%x: tensor<?x7x7x8xf32>, %f: tensor<3x3x8x32xf32>) -> tensor<?x5x5x32xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x7x7x8xf32>
  %e = tensor.empty(%n) : tensor<?x5x5x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x5x5x32xf32>) -> tensor<?x5x5x32xf32>
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %f : tensor<?x7x7x8xf32>, tensor<3x3x8x32xf32>) outs(%acc : tensor<?x5x5x32xf32>) -> tensor<?x5x5x32xf32>
  return %conv : tensor<?x5x5x32xf32>
}

// -----

// A filter over 256 KiB (3 x 3 x 64 x 160 x 4 bytes = 360 KiB) is read
// block by block of output channels: forall over (16 images, 32 channels),
// each looping over its images and output rows with its slice of the
// filter in L2 (row by row, the whole filter per row came from L3).
// CHECK-LABEL: func.func @conv_big_filter(
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 160) step (16, 32)
// CHECK:           scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK:             scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK:               scf.for {{.*}} -> (vector<1x3x32xf32>)
// CHECK:           scf.forall.in_parallel
// SMALL-LABEL: func.func @conv_big_filter(
// SMALL:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 160) step (16, 16)
func.func @conv_big_filter(%x: tensor<?x5x5x64xf32>, %f: tensor<3x3x64x160xf32>) -> tensor<?x3x3x160xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x5x5x64xf32>
  %e = tensor.empty(%n) : tensor<?x3x3x160xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3x3x160xf32>) -> tensor<?x3x3x160xf32>
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %f : tensor<?x5x5x64xf32>, tensor<3x3x64x160xf32>) outs(%acc : tensor<?x3x3x160xf32>) -> tensor<?x3x3x160xf32>
  return %conv : tensor<?x3x3x160xf32>
}

// -----

// A convolution of a zero-padded input (same padding, or an input
// gradient's padded dy): output row h runs only the taps kh whose input row
// h + kh is not padding, [max(0, 2 - h), min(3, 2 + 5 - h)) with 2 rows of
// padding above 5 real ones.

// CHECK-LABEL: func.func @conv_padded_rows(
// CHECK:         scf.forall (%{{.*}}, %[[H:.*]]) in (%{{.*}}, 7)
// CHECK:           %[[T:.*]] = arith.subi %c2, %[[H]]
// CHECK:           %[[FIRST:.*]] = arith.maxsi %[[T]], %c0
// CHECK:           %[[U:.*]] = arith.subi %c7, %[[H]]
// CHECK:           %[[L:.*]] = arith.minsi %[[U]], %c3
// CHECK:           %[[LAST:.*]] = arith.maxsi %[[FIRST]], %[[L]]
// CHECK:           scf.for %{{.*}} = %[[FIRST]] to %[[LAST]] step %c1 iter_args(%{{.*}}) -> (vector<1x7x32xf32>)
// CHECK:             scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args(%{{.*}}) -> (vector<1x7x32xf32>)
// CHECK:               vector.contract
func.func @conv_padded_rows(%x: tensor<?x5x5x4xf32>, %f: tensor<3x3x4x32xf32>) -> tensor<?x7x7x32xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x5x5x4xf32>
  %p = tensor.pad %x low[0, 2, 2, 0] high[0, 2, 2, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<?x5x5x4xf32> to tensor<?x9x9x4xf32>
  %e = tensor.empty(%n) : tensor<?x7x7x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x7x7x32xf32>) -> tensor<?x7x7x32xf32>
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%p, %f : tensor<?x9x9x4xf32>, tensor<3x3x4x32xf32>) outs(%acc : tensor<?x7x7x32xf32>) -> tensor<?x7x7x32xf32>
  return %conv : tensor<?x7x7x32xf32>
}

// -----

// The same for a strided convolution's input gradient: dy (3 rows) inserted
// every 2nd row into zeros from row 2, so rows [2, 7) may be non-zero.

// CHECK-LABEL: func.func @conv_dilated_rows(
// CHECK:         scf.forall (%{{.*}}, %[[H:.*]]) in (%{{.*}}, 7)
// CHECK:           %[[T:.*]] = arith.subi %c2, %[[H]]
// CHECK:           %[[FIRST:.*]] = arith.maxsi %[[T]], %c0
// CHECK:           %[[U:.*]] = arith.subi %c7, %[[H]]
// CHECK:           %[[L:.*]] = arith.minsi %[[U]], %c3
// CHECK:           %[[LAST:.*]] = arith.maxsi %[[FIRST]], %[[L]]
// CHECK:           scf.for %{{.*}} = %[[FIRST]] to %[[LAST]] step %c1 iter_args(%{{.*}}) -> (vector<1x7x32xf32>)
func.func @conv_dilated_rows(%dy: tensor<?x3x3x4xf32>, %f: tensor<3x3x4x32xf32>) -> tensor<?x7x7x32xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %dy, %c0 : tensor<?x3x3x4xf32>
  %z = tensor.empty(%n) : tensor<?x9x9x4xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%z : tensor<?x9x9x4xf32>) -> tensor<?x9x9x4xf32>
  %p = tensor.insert_slice %dy into %zeros[0, 2, 2, 0] [%n, 3, 3, 4] [1, 2, 2, 1] : tensor<?x3x3x4xf32> into tensor<?x9x9x4xf32>
  %e = tensor.empty(%n) : tensor<?x7x7x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x7x7x32xf32>) -> tensor<?x7x7x32xf32>
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%p, %f : tensor<?x9x9x4xf32>, tensor<3x3x4x32xf32>) outs(%acc : tensor<?x7x7x32xf32>) -> tensor<?x7x7x32xf32>
  return %conv : tensor<?x7x7x32xf32>
}

// -----

// The padding itself, sample by sample in place: each iteration fills its
// sample's slice of the result and copies the sample into the slice's
// interior with vector transfers (no tensor.pad left: tiled as one, each
// sample was padded into a temporary, then copied).

// CHECK-LABEL: func.func @pad_by_sample(
// CHECK-NOT:     tensor.pad
// CHECK:         scf.forall (%[[I:.*]]) in (%{{.*}}) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<?x9x8x4xf32>)
// CHECK:           nnc.parallel_work
// CHECK:           %[[MINE:.*]] = tensor.extract_slice %[[OUT]][%[[I]], 0, 0, 0] [1, 9, 8, 4] [1, 1, 1, 1]
// CHECK:           scf.for {{.*}} iter_args(%{{.*}} = %[[MINE]])
// CHECK:             vector.transfer_write %[[ZEROS:.*]], {{.*}} : vector<1x2x8x4xf32>, tensor<1x2x8x4xf32>
// CHECK:           %[[SAMPLE:.*]] = tensor.extract_slice %arg0[%[[I]], 0, 0, 0] [1, 5, 5, 4] [1, 1, 1, 1] : tensor<?x5x5x4xf32> to tensor<5x5x4xf32>
// CHECK:           tensor.extract_slice %{{.*}}[0, 2, 1, 0] [1, 5, 5, 4] [1, 1, 1, 1]
// CHECK:           vector.transfer_read
// CHECK:           vector.transfer_write
// CHECK:           tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[I]], 0, 0, 0] [1, 9, 8, 4]
// CHECK-NOT:     tensor.pad
func.func @pad_by_sample(%x: tensor<?x5x5x4xf32>) -> tensor<?x9x8x4xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %p = tensor.pad %x low[0, 2, 1, 0] high[0, 2, 2, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<?x5x5x4xf32> to tensor<?x9x8x4xf32>
  return %p : tensor<?x9x8x4xf32>
}

// -----

// A strided convolution's dy inserted every 2nd row and column into zeros:
// the same, the copy into a strided slice of the sample's (was one serial
// copy of the whole batch).

// CHECK-LABEL: func.func @dilate_by_sample(
// CHECK:         scf.forall (%[[I:.*]]) in (%{{.*}}) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<?x9x9x4xf32>)
// CHECK:           vector.transfer_write %{{.*}} : vector<1x1x9x4xf32>, tensor<1x1x9x4xf32>
// CHECK:           %[[SAMPLE:.*]] = tensor.extract_slice %arg0[%[[I]], 0, 0, 0] [1, 3, 3, 4] [1, 1, 1, 1] : tensor<?x3x3x4xf32> to tensor<3x3x4xf32>
// CHECK:           %[[IN:.*]] = tensor.extract_slice %{{.*}}[0, 2, 2, 0] [1, 3, 3, 4] [1, 2, 2, 1]
// CHECK:           %[[V:.*]] = vector.transfer_read %[[SAMPLE]]
// CHECK:           vector.transfer_write %[[V]], %[[IN]]
// CHECK:           tensor.insert_slice %{{.*}}[0, 2, 2, 0] [1, 3, 3, 4] [1, 2, 2, 1]
// CHECK:           tensor.parallel_insert_slice
// CHECK-NOT:     linalg.fill
func.func @dilate_by_sample(%dy: tensor<?x3x3x4xf32>) -> tensor<?x9x9x4xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %dy, %c0 : tensor<?x3x3x4xf32>
  %z = tensor.empty(%n) : tensor<?x9x9x4xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%z : tensor<?x9x9x4xf32>) -> tensor<?x9x9x4xf32>
  %p = tensor.insert_slice %dy into %zeros[0, 2, 2, 0] [%n, 3, 3, 4] [1, 2, 2, 1] : tensor<?x3x3x4xf32> into tensor<?x9x9x4xf32>
  return %p : tensor<?x9x9x4xf32>
}

// -----

// Any other parallel op goes one sample per thread iteration: the body has
// static shapes and is vectorized whole.

// CHECK-LABEL: func.func @bias_add(
// CHECK:         scf.forall (%{{.*}}) in (%{{.*}})
// CHECK:           %[[X:.*]] = vector.transfer_read {{.*}} : tensor<1x10xf32>, vector<1x10xf32>
// CHECK:           %[[B:.*]] = vector.transfer_read {{.*}} : tensor<10xf32>, vector<1x10xf32>
// CHECK:           %[[S:.*]] = arith.addf %[[X]], %[[B]] : vector<1x10xf32>
// CHECK:           vector.transfer_write %[[S]]
// CHECK:           scf.forall.in_parallel
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias_add(%x: tensor<?x10xf32>, %b: tensor<10xf32>) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%n) : tensor<?x10xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %b : tensor<?x10xf32>, tensor<10xf32>) outs(%e : tensor<?x10xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// -----

// Softmax's row max and row sum are fused into the loop of its division:
// one forall, each sample read once, both reductions and the division on
// vectors. Its work hint counts 16 per element (memory-bound work, against
// a matmul's multiply-adds): N x 10 x 16; the loops that the max and the
// sum had before they were fused, left with nothing but their hints, are
// gone.

// CHECK-LABEL: func.func @softmax(
// CHECK:         %[[WORK:.*]] = arith.muli %{{.*}}, %c160 : index
// CHECK-NOT:     scf.forall
// CHECK:         scf.forall (%{{.*}}) in (%{{.*}}) shared_outs
// CHECK-NEXT:      nnc.parallel_work %[[WORK]]
// CHECK:           %[[X:.*]] = vector.transfer_read {{.*}} : tensor<1x10xf32>, vector<1x10xf32>
// CHECK:           %[[MAX:.*]] = vector.multi_reduction <maximumf>, %[[X]]
// CHECK:           %[[E:.*]] = math.exp %{{.*}} : vector<1x10xf32>
// CHECK:           %[[SUM:.*]] = vector.multi_reduction <add>, %[[E]]
// CHECK:           %[[SB:.*]] = vector.broadcast %[[SUM]] : vector<1xf32> to vector<1x10xf32>
// CHECK:           arith.divf %[[E]], %[[SB]] : vector<1x10xf32>
// CHECK:           scf.forall.in_parallel
// CHECK-NOT:     scf.forall
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e1 = tensor.empty(%n) : tensor<?xf32>
  %f1 = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<?xf32>) -> tensor<?xf32>
  %max = linalg.generic {indexing_maps = [#id, #rows], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x10xf32>) outs(%f1 : tensor<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<?xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.generic {indexing_maps = [#id, #rows, #rows], iterator_types = ["parallel", "reduction"]} ins(%x, %max : tensor<?x10xf32>, tensor<?xf32>) outs(%f2 : tensor<?xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    %ex = math.exp %d : f32
    %a = arith.addf %ex, %out : f32
    linalg.yield %a : f32
  } -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?x10xf32>
  %y = linalg.generic {indexing_maps = [#id, #rows, #rows, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %max, %sum : tensor<?x10xf32>, tensor<?xf32>, tensor<?xf32>) outs(%e2 : tensor<?x10xf32>) {
  ^bb0(%in: f32, %mx: f32, %s: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    %ex = math.exp %d : f32
    %r = arith.divf %ex, %s : f32
    linalg.yield %r : f32
  } -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// -----

// A reduction over the batch dim: the batch in 4 parts (an scf.forall
// over parts, so that threads share it), each part a serial scf.for over
// its own samples whose accumulator is initialized once, before the loop,
// not per iteration; each part's sum starts from zero in its own row of
// the forall's result (no copy); then the 4 partial sums are added in
// order (the summation order does not depend on the thread count), the
// op's init left out since it is a zero fill.

// CHECK-LABEL: func.func @batch_sum(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?xf32>
// CHECK-DAG:     %[[INIT:.*]] = arith.constant dense<0.000000e+00> : vector<f32>
// CHECK-DAG:     %[[N:.*]] = tensor.dim %[[X]]
// CHECK:         %[[PER:.*]] = arith.divui
// CHECK:         %[[PARTS:.*]] = scf.forall (%[[P:.*]]) in (4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<4xf32>)
// CHECK:           nnc.parallel_work
// CHECK:           %[[AT:.*]] = arith.muli %[[P]], %[[PER]]
// CHECK:           %[[FIRST:.*]] = arith.minui %[[AT]], %[[N]]
// CHECK:           %[[END:.*]] = arith.addi %[[FIRST]], %[[PER]]
// CHECK:           %[[LAST:.*]] = arith.minui %[[END]], %[[N]]
// CHECK:           %[[LEN:.*]] = arith.subi %[[LAST]], %[[FIRST]]
// CHECK:           %[[MINE:.*]] = tensor.extract_slice %[[X]][%[[FIRST]]] [%[[LEN]]] [1]
// CHECK:           %[[SUM:.*]] = scf.for %{{.*}} = %c0 to %[[LEN]] step %c1 iter_args(%[[A:.*]] = %[[INIT]]) -> (vector<f32>)
// CHECK-NOT:         linalg.fill
// CHECK:             tensor.extract_slice %[[MINE]]
// CHECK:             vector.extractelement %[[A]]
// CHECK:             arith.addf
// CHECK:             scf.yield
// CHECK:           }
// CHECK:           %[[PART:.*]] = vector.transfer_write %[[SUM]]
// CHECK:           tensor.parallel_insert_slice %[[PART]] into %[[OUT]][%[[P]]] [1] [1] : tensor<f32> into tensor<4xf32>
// CHECK:         }
// CHECK-COUNT-4: tensor.extract_slice %[[PARTS]]
// CHECK-NOT:     scf.for
// CHECK-COUNT-3: arith.addf
// CHECK-NOT:     arith.addf
// CHECK:         return
func.func @batch_sum(%x: tensor<?xf32>) -> tensor<f32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<f32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x : tensor<?xf32>) outs(%f : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// A sum over the batch into an init that is not a zero fill (here an
// argument): the parts start from zero, and the init is added once, to
// the first part. A reduction that is not a sum (the accumulator squared
// before the addition; a max over the batch) is not split: one serial
// loop, no forall.

// CHECK-LABEL: func.func @batch_sum_into(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x16xf32>, %[[ACC:[a-z0-9]+]]: tensor<16xf32>
// CHECK:         %[[PARTS:.*]] = scf.forall (%{{.*}}) in (4)
// CHECK:         }
// CHECK:         %[[P0:.*]] = tensor.extract_slice %[[PARTS]][0, 0]
// CHECK:         %[[A:.*]] = vector.transfer_read %[[ACC]]
// CHECK:         %[[V0:.*]] = vector.transfer_read %[[P0]]
// CHECK:         arith.addf %[[A]], %[[V0]] : vector<16xf32>
// CHECK-COUNT-3: arith.addf {{.*}} : vector<16xf32>
// CHECK-NOT:     arith.addf
// CHECK:         return
func.func @batch_sum_into(%x: tensor<?x16xf32>, %acc: tensor<16xf32>) -> tensor<16xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : tensor<?x16xf32>) outs(%acc : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<16xf32>
  return %s : tensor<16xf32>
}

// CHECK-LABEL: func.func @not_a_sum(
// CHECK-NOT:     scf.forall
// CHECK:         scf.for
// CHECK-NOT:     scf.forall
// CHECK:         return
func.func @not_a_sum(%x: tensor<?x16xf32>, %acc: tensor<16xf32>) -> tensor<16xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : tensor<?x16xf32>) outs(%acc : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %out, %out : f32
    %a = arith.addf %in, %m : f32
    linalg.yield %a : f32
  } -> tensor<16xf32>
  return %s : tensor<16xf32>
}

// CHECK-LABEL: func.func @batch_max(
// CHECK-NOT:     scf.forall
// CHECK:         scf.for
// CHECK:           arith.maximumf
// CHECK-NOT:     scf.forall
// CHECK:         return
func.func @batch_max(%x: tensor<?x16xf32>, %acc: tensor<16xf32>) -> tensor<16xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : tensor<?x16xf32>) outs(%acc : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.maximumf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<16xf32>
  return %s : tensor<16xf32>
}

// -----

// A bias gradient: a reduction over the batch of an elementwise producer
// (here relu's gradient). The reduction is split in 4 parts of the batch,
// each a serial loop over its samples in an scf.forall's iteration; the
// producer is not fused into it (the producer's other readers, a
// convolution's gradients, would have it computed twice) but runs in a
// forall of its own, and the parts only add up its result, 32 lanes at a
// time; then the parts are added up.

// CHECK-LABEL: func.func @bias_grad(
// CHECK:         %[[G:.*]] = scf.forall (%{{.*}}) in (%{{.*}})
// CHECK:           arith.cmpf ogt, {{.*}} : vector<1x32xf32>
// CHECK:           arith.select {{.*}} : vector<1x32xi1>, vector<1x32xf32>
// CHECK:         %[[PARTS:.*]] = scf.forall (%{{.*}}) in (4) {{.*}} -> (tensor<4x32xf32>)
// CHECK:           %[[MINE:.*]] = tensor.extract_slice %[[G]]
// CHECK:           %[[SUM:.*]] = scf.for %{{.*}} iter_args(%{{.*}}) -> (vector<32xf32>)
// CHECK-NOT:         arith.cmpf
// CHECK-NOT:         arith.select
// CHECK:             tensor.extract_slice %[[MINE]]
// CHECK:             arith.addf {{.*}} : vector<32xf32>
// CHECK:             scf.yield
// CHECK:           }
// CHECK:           vector.transfer_write %[[SUM]]
// CHECK:         }
// CHECK-COUNT-3: arith.addf {{.*}} : vector<32xf32>
// CHECK-NOT:     arith.addf
// CHECK:         vector.transfer_write
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @bias_grad(%y: tensor<?x32xf32>, %dy: tensor<?x32xf32>) -> tensor<32xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %y, %c0 : tensor<?x32xf32>
  %e = tensor.empty(%n) : tensor<?x32xf32>
  %g = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%y, %dy : tensor<?x32xf32>, tensor<?x32xf32>) outs(%e : tensor<?x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %pos = arith.cmpf ogt, %a, %zero : f32
    %r = arith.select %pos, %b, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x32xf32>
  %eb = tensor.empty() : tensor<32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%eb : tensor<32xf32>) -> tensor<32xf32>
  %s = linalg.generic {indexing_maps = [#id2, #col], iterator_types = ["reduction", "parallel"]} ins(%g : tensor<?x32xf32>) outs(%f : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<32xf32>
  return %s : tensor<32xf32>
}

// -----

// A dense layer's weight gradient, matmul_transpose_a (the lhs [K, M]): tiled as a
// matmul, the reduction over the batch (K, dynamic) one step at a time into
// a vector<8x32xf32> register tile; the 2 rows left of 18 one at a time.

// CHECK-LABEL: func.func @filter_grad(
// CHECK-SAME:    %[[P:[a-z0-9]+]]: tensor<?x18xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[P]], %c0
// CHECK:         scf.forall (%{{.*}}) = (0) to (64) step (32)
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK:             scf.for %{{.*}} = %c0 to %[[N]] step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK:               vector.contract {{.*}} into vector<8x32xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK:             scf.for %{{.*}} = %c0 to %[[N]] step %c1 iter_args(%{{.*}}) -> (vector<1x32xf32>)
// CHECK:               vector.contract {{.*}} into vector<1x32xf32>
// CHECK-NOT:     linalg.matmul_transpose_a
func.func @filter_grad(%p: tensor<?x18xf32>, %d: tensor<?x64xf32>) -> tensor<18x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<18x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<18x64xf32>) -> tensor<18x64xf32>
  %m = linalg.matmul_transpose_a ins(%p, %d : tensor<?x18xf32>, tensor<?x64xf32>) outs(%f : tensor<18x64xf32>) -> tensor<18x64xf32>
  return %m : tensor<18x64xf32>
}

// -----

// A producer that is also read outside a consumer's loop (a pre-activation
// kept for the backward pass) is not fused into it, which would compute it
// twice: it gets a loop of its own (not run whole and serial), and the
// consumer's loop reads its result.

// CHECK-LABEL: func.func @shared_producer(
// CHECK:         %[[R:.*]] = scf.forall (%{{.*}}) in (%{{.*}})
// CHECK:           arith.maximumf {{.*}} : vector<1x8xf32>
// CHECK:         %[[S:.*]] = scf.forall (%{{.*}}) in (%{{.*}})
// CHECK:           tensor.extract_slice %[[R]]
// CHECK-NOT:       arith.maximumf
// CHECK:           arith.mulf {{.*}} : vector<1x8xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]], %[[S]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @shared_producer(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    %m = arith.maximumf %i, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%r, %y : tensor<?x8xf32>, tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %m = arith.mulf %i, %j : f32
    linalg.yield %m : f32
  } -> tensor<?x8xf32>
  return %r, %s : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// An output of one 64 x 32 block (the weight gradient of a dense layer of 9
// inputs and 32 units, 9 x 32) is split into two column blocks of 16, one
// per thread.

// CHECK-LABEL: func.func @small_filter_grad(
// CHECK:         scf.forall (%{{.*}}) = (0) to (32) step (16)
// CHECK:           scf.for %{{.*}} iter_args(%{{.*}}) -> (vector<8x16xf32>)
// SMALL-LABEL: func.func @small_filter_grad(
// SMALL:         scf.forall (%{{.*}}) = (0) to (32) step (16)
func.func @small_filter_grad(%p: tensor<?x9xf32>, %d: tensor<?x32xf32>) -> tensor<9x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<9x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<9x32xf32>) -> tensor<9x32xf32>
  %m = linalg.matmul_transpose_a ins(%p, %d : tensor<?x9xf32>, tensor<?x32xf32>) outs(%f : tensor<9x32xf32>) -> tensor<9x32xf32>
  return %m : tensor<9x32xf32>
}

// -----

// B's rows 4 KiB apart (1024 f32): every row of a K x 32 panel falls in the
// same few cache sets, so each block copies its panel into a buffer of its
// own (tensor.empty, row by row) and its full register tiles read that.
// Blocks are 256 rows tall, so that one copy serves more tiles. The copy
// and the full tiles are guarded by "the block has a full tile": the rows
// left (all of them at batch 1-7) read B in place, as a matrix-vector
// product reads each element once. The forall runs over (column block, row
// block): the threads' contiguous runs of blocks are then whole columns of
// blocks, balanced when the (dynamic) rows end in a short block.

// CHECK-LABEL: func.func @packed_panel(
// CHECK-SAME:    %{{[a-z0-9]+}}: tensor<?x1024xf32>, %[[W:[a-z0-9]+]]: tensor<1024x1024xf32>
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (1024, %{{.*}}) step (32, 256)
// CHECK:           %[[PANEL:.*]] = tensor.extract_slice %[[W]][0, %{{.*}}] [1024, 32] [1, 1]
// CHECK:           %[[FULL:.*]] = affine.apply
// CHECK:           %[[ANY:.*]] = arith.cmpi sgt, %[[FULL]], %c0
// CHECK:           %[[DONE:.*]] = scf.if %[[ANY]] -> (tensor<?x32xf32>) {
// CHECK:             %[[OWN:.*]] = tensor.empty() : tensor<1024x32xf32>
// CHECK:             %[[PACKED:.*]] = scf.for %{{.*}} = %c0 to %c1024 step %c1 iter_args(%{{.*}} = %[[OWN]])
// CHECK:               tensor.extract_slice %[[PANEL]]
// CHECK:               tensor.insert_slice
// CHECK:             scf.for %{{.*}} = %c0 to %[[FULL]] step %c8
// CHECK:               scf.for %{{.*}} = %c0 to %c1024 step %c4 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK:                 tensor.extract_slice %[[PACKED]]
// CHECK:                 vector.contract {{.*}} into vector<8x32xf32>
// CHECK:           } else {
// CHECK:           scf.for %{{.*}} = %[[FULL]] to %{{.*}} step %c8 iter_args(%{{.*}} = %[[DONE]])
// CHECK:               scf.for %{{.*}} = %c0 to %c1024 step %c4 iter_args(%{{.*}}) -> (vector<1x32xf32>)
// CHECK:                 tensor.extract_slice %[[PANEL]]
// CHECK:                 vector.contract {{.*}} into vector<1x32xf32>
func.func @packed_panel(%x: tensor<?x1024xf32>, %w: tensor<1024x1024xf32>) -> tensor<?x1024xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x1024xf32>
  %e = tensor.empty(%n) : tensor<?x1024xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x1024xf32>) -> tensor<?x1024xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x1024xf32>, tensor<1024x1024xf32>) outs(%acc : tensor<?x1024xf32>) -> tensor<?x1024xf32>
  return %mm : tensor<?x1024xf32>
}

// -----

// The backward's transposes: x^T dy reads x in place (matmul_transpose_a:
// no x^T is materialized) and, dy's rows being 2 KiB apart, packs each
// block's panel of dy; 784 rows go in 7 blocks of 112 (not 3 of 256 and
// one of 16). dy W^T transposes each block's own panel of W (8 x 8
// transposes into a K x 16 buffer of its own) instead of reading a whole
// W^T.

// CHECK-LABEL: func.func @transposed_operands(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x784xf32>, %[[DY:[a-z0-9]+]]: tensor<?x512xf32>, %[[W:[a-z0-9]+]]: tensor<784x512xf32>
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (784, 512) step (112, 32)
// CHECK:           tensor.extract_slice %[[X]][0, %{{.*}}] [%{{.*}}, 112] [1, 1]
// CHECK-NOT:       x8xf32>
// CHECK:           %[[OWN:.*]] = tensor.empty(%{{.*}}) : tensor<?x32xf32>
// CHECK:           %[[PACKED:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %[[OWN]])
// CHECK:           scf.for %{{.*}} = %c0 to %c112 step %c8
// CHECK:             scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK:               vector.contract {{.*}} into vector<8x32xf32>
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (784, %{{.*}}) step (16, 256)
// CHECK:           tensor.extract_slice %[[W]][%{{.*}}, 0] [16, 512] [1, 1]
// CHECK:           %[[T:.*]] = tensor.empty() : tensor<512x16xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c512 step %c8 iter_args(%{{.*}} = %[[T]])
// CHECK:             vector.transfer_read {{.*}} : tensor<8x8xf32>, vector<8x8xf32>
// CHECK:           scf.for
// CHECK:             vector.contract {{.*}} into vector<8x16xf32>
// CHECK-NOT:     linalg.transpose
func.func @transposed_operands(%x: tensor<?x784xf32>, %dy: tensor<?x512xf32>, %w: tensor<784x512xf32>) -> (tensor<784x512xf32>, tensor<?x784xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x784xf32>
  %te = tensor.empty(%n) : tensor<784x?xf32>
  %xt = linalg.transpose ins(%x : tensor<?x784xf32>) outs(%te : tensor<784x?xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<784x512xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<784x512xf32>) -> tensor<784x512xf32>
  %dw = linalg.matmul ins(%xt, %dy : tensor<784x?xf32>, tensor<?x512xf32>) outs(%f : tensor<784x512xf32>) -> tensor<784x512xf32>
  %we = tensor.empty() : tensor<512x784xf32>
  %wt = linalg.transpose ins(%w : tensor<784x512xf32>) outs(%we : tensor<512x784xf32>) permutation = [1, 0]
  %de = tensor.empty(%n) : tensor<?x784xf32>
  %df = linalg.fill ins(%zero : f32) outs(%de : tensor<?x784xf32>) -> tensor<?x784xf32>
  %dx = linalg.matmul ins(%dy, %wt : tensor<?x512xf32>, tensor<512x784xf32>) outs(%df : tensor<?x784xf32>) -> tensor<?x784xf32>
  return %dw, %dx : tensor<784x512xf32>, tensor<?x784xf32>
}

// -----

// A right-hand side that fits in L1 (64 x 64) is cheap to read again for
// every row: the rows left below a full tile go one at a time, with no
// 4- or 2-row tiles (each would be one more copy of the K loop to compile).

// CHECK-LABEL: func.func @small_rhs_rows_left(
// CHECK:         vector.contract {{.*}} into vector<8x32xf32>
// CHECK-NOT:     vector<4x32xf32>
// CHECK-NOT:     vector<2x32xf32>
// CHECK:         vector.contract {{.*}} into vector<1x32xf32>
func.func @small_rhs_rows_left(%x: tensor<?x64xf32>, %w: tensor<64x64xf32>) -> tensor<?x64xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%n) : tensor<?x64xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x64xf32>) -> tensor<?x64xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x64xf32>) outs(%acc : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %mm : tensor<?x64xf32>
}

// -----

// The filter gradient x^T dy where x's rows are 2 KiB apart (512 wide):
// the forall runs over rows of blocks (256 rows of dW), each packs its 32
// strips of x ([32, K, 8], contiguous) once, then loops over its column
// blocks (B's panel packed as well) whose full 8 x 32 tiles read their
// strip from the packed copy.

// CHECK-LABEL: func.func @packed_strips(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x512xf32>
// CHECK:         scf.forall (%[[M0:.*]]) = (0) to (512) step (256)
// CHECK:           %[[BLOCK:.*]] = tensor.extract_slice %[[X]][0, %[[M0]]] [%{{.*}}, 256] [1, 1]
// CHECK:           %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<32x?x8xf32>
// CHECK:           %[[STRIPS:.*]] = scf.for %[[K:.*]] = %c0 to %{{.*}} step %c1 iter_args(%[[S0:.*]] = %[[EMPTY]])
// CHECK:             scf.for %[[T:.*]] = %c0 to %c32 step %c1 iter_args(%[[S1:.*]] = %[[S0]])
// CHECK:               %[[COL:.*]] = arith.muli %[[T]], %c8
// CHECK:               %[[PIECE:.*]] = tensor.extract_slice %[[BLOCK]][%[[K]], %[[COL]]] [1, 8] [1, 1]
// CHECK:               tensor.insert_slice %[[PIECE]] into %[[S1]][%[[T]], %[[K]], 0] [1, 1, 8] [1, 1, 1]
// CHECK:           scf.for %{{.*}} = %c0 to %c256 step %c32
// CHECK:             scf.for %[[I:.*]] = %c0 to %c256 step %c8
// CHECK:               %[[IDX:.*]] = arith.divui %[[I]], %c8
// CHECK:               tensor.extract_slice %[[STRIPS]][%[[IDX]], 0, 0] [1, %{{.*}}, 8] [1, 1, 1] : tensor<32x?x8xf32> to tensor<?x8xf32>
// CHECK:               vector.contract {{.*}} into vector<8x32xf32>
func.func @packed_strips(%x: tensor<?x512xf32>, %dy: tensor<?x256xf32>) -> tensor<512x256xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x512xf32>
  %te = tensor.empty(%n) : tensor<512x?xf32>
  %xt = linalg.transpose ins(%x : tensor<?x512xf32>) outs(%te : tensor<512x?xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<512x256xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<512x256xf32>) -> tensor<512x256xf32>
  %dw = linalg.matmul ins(%xt, %dy : tensor<512x?xf32>, tensor<?x256xf32>) outs(%f : tensor<512x256xf32>) -> tensor<512x256xf32>
  return %dw : tensor<512x256xf32>
}
