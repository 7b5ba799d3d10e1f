// RUN: nnc-opt %s -split-input-file -nnc-winograd-conv -canonicalize -cse | FileCheck %s
// RUN: nnc-opt %s -split-input-file -nnc-winograd-conv="vector-bits=256" -canonicalize -cse | FileCheck %s --check-prefix=AVX2
// RUN: nnc-opt %s -split-input-file -nnc-winograd-conv="max-tile=2" -canonicalize -cse | FileCheck %s --check-prefix=TWO

// A 3 x 3 convolution over 20 channels into 24, its bias add and relu:
// Winograd F(4 x 4, 3 x 3) (36 products per 4 x 4 outputs; F(2 x 2)
// would take 64). The filter transformed once into U [36, C, F] (vectors
// over F: 16 + 8 lanes). The batch in 4 parallel parts, each with one
// V [36, T, C] and one M [36, T, F] that all its images reuse; here they
// hold a whole image's T = 2 x 3 tiles (under 256 KiB). 7 x 9 outputs:
// one whole row of 4 x 4 tiles, then one of the last 3 output rows; in
// a row, two whole tiles and a last one of one column. Input tiles of
// 6 x 6 (5 rows in the last row of tiles, 3 columns in the last tile)
// into V; 36 matmuls of [6, 20] x [20, 24] as register tiles of 6 rows x
// (16 + 8) lanes; the output transform adds the bias and applies relu.

// CHECK-LABEL: func.func @fused(
// CHECK-NOT:     nnc.
// CHECK:         %[[U:.*]] = scf.for %{{.*}} = %c0 to %c20
// CHECK:           vector.transfer_read %{{.*}} : tensor<3x3x20x24xf32>, vector<3x3x1x16xf32>
// CHECK:           vector.transfer_write %{{.*}} : vector<36x1x16xf32>, tensor<36x20x24xf32>
// CHECK:           vector.transfer_read %{{.*}} : tensor<3x3x20x24xf32>, vector<3x3x1x8xf32>
// CHECK:         scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<?x7x9x24xf32>)
// CHECK:           nnc.parallel_work
// CHECK:           %[[V:.*]] = bufferization.alloc_tensor() : tensor<36x6x20xf32>
// CHECK:           %[[M:.*]] = bufferization.alloc_tensor() : tensor<36x6x24xf32>
// CHECK:           scf.for {{.*}} iter_args({{.*}} = %[[V]], {{.*}} = %[[M]])
// CHECK:             tensor.extract_slice %{{.*}} [1, 7, 9, 24] [1, 1, 1, 1] : tensor<?x7x9x24xf32> to tensor<7x9x24xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c2
// CHECK:               vector.transfer_read %{{.*}} : tensor<?x9x11x20xf32>, vector<6x6x16xf32>
// CHECK:               vector.transfer_write %{{.*}} : vector<36x1x16xf32>, tensor<36x6x20xf32>
// CHECK:               vector.transfer_read %{{.*}} : tensor<?x9x11x20xf32>, vector<6x6x4xf32>
// CHECK:             vector.transfer_read %{{.*}} : tensor<?x9x11x20xf32>, vector<6x3x16xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c2
// CHECK:               vector.transfer_read %{{.*}} : tensor<?x9x11x20xf32>, vector<5x6x16xf32>
// CHECK:             vector.transfer_read %{{.*}} : tensor<?x9x11x20xf32>, vector<5x3x16xf32>
// CHECK:             scf.for %[[K:.*]] = %c0 to %c36
// CHECK:               scf.for %[[C:.*]] = %c0 to %c20
// CHECK-COUNT-2:         vector.transfer_read %[[U]][%[[K]], %[[C]], %{{.*}}]
// CHECK-COUNT-12:        vector.fma
// CHECK:               vector.transfer_write %{{.*}} : vector<6x24xf32>, tensor<36x6x24xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c2
// CHECK:               vector.transfer_read %{{.*}} : tensor<36x6x24xf32>, vector<36x1x16xf32>
// CHECK:               arith.maximumf
// CHECK:               vector.transfer_write %{{.*}} : vector<4x4x16xf32>, tensor<7x9x24xf32>
// CHECK:             vector.transfer_write %{{.*}} : vector<4x1x16xf32>, tensor<7x9x24xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c2
// CHECK:               vector.transfer_write %{{.*}} : vector<3x4x16xf32>, tensor<7x9x24xf32>
// CHECK:             vector.transfer_write %{{.*}} : vector<3x1x16xf32>, tensor<7x9x24xf32>
// CHECK:             tensor.insert_slice
// CHECK:           tensor.parallel_insert_slice

// With AVX2 the register tiles are 6 rows x 2 vectors of 8, then the
// rest of F (8 lanes) as 6 x 1.
// AVX2-LABEL: func.func @fused(
// AVX2:         scf.forall
// AVX2:           scf.for %{{.*}} = %c0 to %c36
// AVX2:             scf.for %{{.*}} = %c0 to %c20
// AVX2-COUNT-12:      vector.fma %{{.*}} : vector<8xf32>
// AVX2:             vector.transfer_write %{{.*}} : vector<6x16xf32>, tensor<36x6x24xf32>
// AVX2:             scf.for %{{.*}} = %c0 to %c20
// AVX2-COUNT-6:       vector.fma %{{.*}} : vector<8xf32>
// AVX2:             vector.transfer_write %{{.*}} : vector<6x8xf32>, tensor<36x6x24xf32>
// With max-tile=2 (nnc --winograd=2x2), F(2 x 2): U of 16 positions,
// 4 x 4 input tiles.
// TWO-LABEL: func.func @fused(
// TWO:         tensor.empty() : tensor<16x20x24xf32>
// TWO-NOT:     tensor<36x
// TWO:         vector.transfer_read %{{.*}} : tensor<?x9x11x20xf32>, vector<4x4x16xf32>
// TWO-NOT:     tensor<36x
// TWO-LABEL: func.func @padded(
func.func @fused(%x: tensor<?x9x11x20xf32>, %w: tensor<3x3x20x24xf32>, %b: tensor<24xf32>) -> tensor<?x7x9x24xf32> {
  %0 = nnc.conv2d %x, %w {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x9x11x20xf32>, tensor<3x3x20x24xf32> -> tensor<?x7x9x24xf32>
  %1 = nnc.add %0, %b : tensor<?x7x9x24xf32>, tensor<24xf32> -> tensor<?x7x9x24xf32>
  %2 = nnc.relu %1 : tensor<?x7x9x24xf32>
  return %2 : tensor<?x7x9x24xf32>
}

// -----

// 'same' padding: the input padded first; 8 x 8 outputs, whole tiles
// only. The convolution's result has two readers: no
// bias or relu in the output transform, which writes the sums as they are.
// CHECK-LABEL: func.func @padded(
// CHECK:         tensor.pad %{{.*}} low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:         scf.forall
// CHECK-NOT:       arith.maximumf
// CHECK:           vector.transfer_write %{{.*}} : vector<4x4x16xf32>, tensor<8x8x16xf32>
// CHECK-NOT:       vector<{{[1-3]}}x{{[0-9]}}x16xf32>, tensor<8x8x16xf32>
// CHECK:           tensor.parallel_insert_slice
// CHECK-NOT:     scf.forall (
// CHECK:         nnc.add
// CHECK:         nnc.relu
func.func @padded(%x: tensor<?x8x8x16xf32>, %w: tensor<3x3x16x16xf32>, %b: tensor<16xf32>) -> (tensor<?x8x8x16xf32>, tensor<?x8x8x16xf32>) {
  %0 = nnc.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : tensor<?x8x8x16xf32>, tensor<3x3x16x16xf32> -> tensor<?x8x8x16xf32>
  %1 = nnc.add %0, %b : tensor<?x8x8x16xf32>, tensor<16xf32> -> tensor<?x8x8x16xf32>
  %2 = nnc.relu %1 : tensor<?x8x8x16xf32>
  return %0, %2 : tensor<?x8x8x16xf32>, tensor<?x8x8x16xf32>
}

// -----

// F(2 x 2, 3 x 3) where F(4 x 4)'s U would be over 512 KiB (36 x 64 x 64
// floats: 576 KiB), a row of tiles at a time where a whole image's V and
// M would be over 256 KiB: 11 x 11 outputs from 64 channels into 64, 6
// tiles a row, 5 whole rows of tiles and a last one of one output row.
// V and M have one type (C = F) and are two allocations (two tensor.empty
// became one value after CSE, and one buffer: M overwrote V).
// And where F(4 x 4) would not compute 3/4 of the products or fewer: 5 x
// 5 outputs, 4 tiles of 36 against 9 of 16; its V and M hold the whole
// image (2 whole rows of tiles, a last one of one output row).
// CHECK-LABEL: func.func @two_by_two(
// CHECK:         tensor.empty() : tensor<16x64x64xf32>
// CHECK:         scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<?x11x11x64xf32>)
// CHECK:           %[[V2:.*]] = bufferization.alloc_tensor() : tensor<16x6x64xf32>
// CHECK:           %[[M2:.*]] = bufferization.alloc_tensor() : tensor<16x6x64xf32>
// CHECK:           scf.for {{.*}} iter_args({{.*}}, {{.*}} = %[[V2]], {{.*}} = %[[M2]])
// CHECK:           scf.for %{{.*}} = %c0 to %c5
// CHECK:             tensor.extract_slice %{{.*}} [1, 2, 11, 64] [1, 1, 1, 1] : tensor<?x11x11x64xf32> to tensor<2x11x64xf32>
// CHECK:             vector.transfer_read %{{.*}} : tensor<?x13x13x64xf32>, vector<4x4x16xf32>
// CHECK:           tensor.extract_slice %{{.*}} [1, 1, 11, 64] [1, 1, 1, 1] : tensor<?x11x11x64xf32> to tensor<1x11x64xf32>
// CHECK:         tensor.empty() : tensor<16x16x16xf32>
// CHECK:         scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<?x5x5x16xf32>)
// CHECK:           bufferization.alloc_tensor() : tensor<16x9x16xf32>
// CHECK:             tensor.extract_slice %{{.*}} [1, 5, 5, 16] [1, 1, 1, 1] : tensor<?x5x5x16xf32> to tensor<5x5x16xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c2
// CHECK:               vector.transfer_read %{{.*}} : tensor<?x7x7x16xf32>, vector<4x4x16xf32>
// CHECK:             vector.transfer_read %{{.*}} : tensor<?x7x7x16xf32>, vector<3x4x16xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c16
// CHECK:               vector.transfer_write %{{.*}} : vector<5x16xf32>, tensor<16x9x16xf32>
func.func @two_by_two(%x: tensor<?x13x13x64xf32>, %w: tensor<3x3x64x64xf32>, %x7: tensor<?x7x7x16xf32>, %w7: tensor<3x3x16x16xf32>) -> (tensor<?x11x11x64xf32>, tensor<?x5x5x16xf32>) {
  %0 = nnc.conv2d %x, %w {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x13x13x64xf32>, tensor<3x3x64x64xf32> -> tensor<?x11x11x64xf32>
  %1 = nnc.conv2d %x7, %w7 {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x7x7x16xf32>, tensor<3x3x16x16xf32> -> tensor<?x5x5x16xf32>
  return %0, %1 : tensor<?x11x11x64xf32>, tensor<?x5x5x16xf32>
}

// -----

// Left direct: stride 2, a 5 x 5 filter, 8 input channels (the transforms
// would not be paid back), and a transformed filter over 512 KiB (16 x 128
// x 256 floats: 2 MiB).
// CHECK-LABEL: func.func @direct(
// CHECK-NOT:     scf.forall
// CHECK-COUNT-4: nnc.conv2d
// CHECK-NOT:     scf.forall
func.func @direct(%x: tensor<?x9x9x16xf32>, %w2: tensor<3x3x16x16xf32>, %w5: tensor<5x5x16x16xf32>, %x8: tensor<?x9x9x8xf32>, %w8: tensor<3x3x8x16xf32>, %xb: tensor<?x7x7x128xf32>, %wb: tensor<3x3x128x256xf32>) -> (tensor<?x4x4x16xf32>, tensor<?x5x5x16xf32>, tensor<?x7x7x16xf32>, tensor<?x5x5x256xf32>) {
  %0 = nnc.conv2d %x, %w2 {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<?x9x9x16xf32>, tensor<3x3x16x16xf32> -> tensor<?x4x4x16xf32>
  %1 = nnc.conv2d %x, %w5 {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x9x9x16xf32>, tensor<5x5x16x16xf32> -> tensor<?x5x5x16xf32>
  %2 = nnc.conv2d %x8, %w8 {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x9x9x8xf32>, tensor<3x3x8x16xf32> -> tensor<?x7x7x16xf32>
  %3 = nnc.conv2d %xb, %wb {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x7x7x128xf32>, tensor<3x3x128x256xf32> -> tensor<?x5x5x256xf32>
  return %0, %1, %2, %3 : tensor<?x4x4x16xf32>, tensor<?x5x5x16xf32>, tensor<?x7x7x16xf32>, tensor<?x5x5x256xf32>
}

// -----

// Input gradients of 3 x 3 stride-1 convolutions are convolutions of dy,
// padded by 2 - padding on each side, with the filter rotated by 180
// degrees and its channels swapped ([3, 3, F, C]: a transpose, the
// rotation in the filter transform): 16 products a 2 x 2 tile of dx
// instead of 9 an element of dy. Valid: 13 x 12 from 11 x 10 (dy padded
// to 15 x 14; 7 rows of tiles, the last of one row); same: dy padded by
// one. Both as F(4 x 4): the matmuls' register tiles take up to 8 rows
// when F is at most two vectors: here an image's 12 tiles in two blocks
// of 6 by dx's 16 channels, 6 x 1 FMAs.
// CHECK-LABEL: func.func @input_grads(
// CHECK:         %[[T:.*]] = nnc.transpose %{{.*}} {perm = array<i64: 0, 1, 3, 2>} : tensor<3x3x16x24xf32> -> tensor<3x3x24x16xf32>
// CHECK:         tensor.pad %{{.*}} low[0, 2, 2, 0] high[0, 2, 2, 0]
// CHECK:         : tensor<?x11x10x24xf32> to tensor<?x15x14x24xf32>
// CHECK:         vector.transfer_read %[[T]]{{.*}} : tensor<3x3x24x16xf32>, vector<3x3x1x16xf32>
// CHECK:         scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<?x13x12x16xf32>)
// CHECK:           scf.for %{{.*}} = %c0 to %c36
// CHECK:             scf.for %{{.*}} = %c0 to %c2
// CHECK:               scf.for %{{.*}} = %c0 to %c24
// CHECK-COUNT-6:         vector.fma
// CHECK-NOT:             vector.fma
// CHECK:               vector.transfer_write %{{.*}} : vector<6x16xf32>, tensor<36x12x16xf32>
// CHECK:         tensor.pad %{{.*}} low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:         : tensor<?x11x10x24xf32> to tensor<?x13x12x24xf32>
// CHECK:         scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<?x11x10x16xf32>)
// CHECK-NOT:     nnc.conv2d_input_grad
func.func @input_grads(%dy: tensor<?x11x10x24xf32>, %w: tensor<3x3x16x24xf32>) -> (tensor<?x13x12x16xf32>, tensor<?x11x10x16xf32>) {
  %0 = nnc.conv2d_input_grad %dy, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x11x10x24xf32>, tensor<3x3x16x24xf32> -> tensor<?x13x12x16xf32>
  %1 = nnc.conv2d_input_grad %dy, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x11x10x24xf32>, tensor<3x3x16x24xf32> -> tensor<?x11x10x16xf32>
  return %0, %1 : tensor<?x13x12x16xf32>, tensor<?x11x10x16xf32>
}

// -----

// Input gradients left to nnc-lower-to-linalg: stride 2; a dx much larger
// than dy (5 x 5 from 3 x 3: 9 tiles x 16 products against 9 x 9, which
// by taps computes); fewer than 16 channels of dx.
// CHECK-LABEL: func.func @input_grads_direct(
// CHECK-NOT:     scf.forall
// CHECK-COUNT-3: nnc.conv2d_input_grad
// CHECK-NOT:     scf.forall
func.func @input_grads_direct(%dy: tensor<?x5x5x16xf32>, %w: tensor<3x3x16x16xf32>, %dy3: tensor<?x3x3x16xf32>, %dy8: tensor<?x9x9x16xf32>, %w8: tensor<3x3x8x16xf32>) -> (tensor<?x11x11x16xf32>, tensor<?x5x5x16xf32>, tensor<?x11x11x8xf32>) {
  %0 = nnc.conv2d_input_grad %dy, %w {strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x5x5x16xf32>, tensor<3x3x16x16xf32> -> tensor<?x11x11x16xf32>
  %1 = nnc.conv2d_input_grad %dy3, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x3x3x16xf32>, tensor<3x3x16x16xf32> -> tensor<?x5x5x16xf32>
  %2 = nnc.conv2d_input_grad %dy8, %w8 {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x9x9x16xf32>, tensor<3x3x8x16xf32> -> tensor<?x11x11x8xf32>
  return %0, %1, %2 : tensor<?x11x11x16xf32>, tensor<?x5x5x16xf32>, tensor<?x11x11x8xf32>
}

// -----

// Filter gradients of 3 x 3 stride-1 convolutions: dw = G^T dU G, dU the
// sum over the tiles of V * A dy A^T (elementwise, per channel pair), as
// F(4 x 4, 3 x 3) where the forward would be (36 positions) and F(2 x 2)
// otherwise. Each of the 4 parts of the batch zeroes its own dU [P, C, F]
// and goes through its images a chunk of rows of tiles at a time: the
// rows' input tiles (6 x 6) into V [P, T, C], dy's (4 x 4) into M [P, T,
// F], then P matmuls V^T M accumulated into dU in register tiles of C
// rows by F vectors, over the chunk's T tiles. Valid, 11 x 10 from
// 13 x 12: both whole rows of 3 tiles in one chunk, then the last row of
// tiles alone (3 output rows: inputs 5 x 6, dy 3 x 4; its last tile 2
// columns of dy). The parts' dU go out in one [4, P, C, F] tensor, summed
// in order and transformed by G^T . G into [3, 3, C, F]. Same over
// 28 x 28 (32 -> 64 channels): 2 rows of 7 tiles to a chunk (256 KiB of
// V and M), 4 chunks, the last of one row. F(2 x 2) for 10 x 9 (F(4 x 4)
// would compute more than 3/4 of its products): 5 rows of 4 x 4 input
// and 2 x 2 dy tiles; C = F, and V and M are two allocations.
// CHECK-LABEL: func.func @filter_grads(
// CHECK:         scf.forall (%[[P:.*]]) in (4) shared_outs({{.*}}) -> (tensor<4x36x16x24xf32>)
// CHECK:           nnc.parallel_work
// CHECK:           vector.transfer_write %{{.*}} : vector<36x1x16xf32>, tensor<36x16x24xf32>
// CHECK:           %[[V:.*]] = bufferization.alloc_tensor() : tensor<36x6x16xf32>
// CHECK:           %[[M:.*]] = bufferization.alloc_tensor() : tensor<36x6x24xf32>
// CHECK:           scf.for {{.*}} iter_args({{.*}}, {{.*}} = %[[V]], {{.*}} = %[[M]])
// CHECK:             scf.for %{{.*}} = %c0 to %c2
// CHECK:               scf.for %{{.*}} = %c0 to %c2
// CHECK:                 vector.transfer_read %{{.*}} : tensor<?x13x12x16xf32>, vector<6x6x16xf32>
// CHECK:                 vector.transfer_write %{{.*}} : vector<36x1x16xf32>, tensor<36x6x16xf32>
// CHECK:               scf.for %{{.*}} = %c0 to %c2
// CHECK:                 vector.transfer_read %{{.*}} : tensor<?x11x10x24xf32>, vector<4x4x16xf32>
// CHECK:                 vector.transfer_write %{{.*}} : vector<36x1x16xf32>, tensor<36x6x24xf32>
// CHECK:                 vector.transfer_read %{{.*}} : tensor<?x11x10x24xf32>, vector<4x4x8xf32>
// CHECK:             scf.for %[[K:.*]] = %c0 to %c36
// CHECK:               scf.for %{{.*}} = %c0 to %c2
// CHECK:                 scf.for %[[T:.*]] = %c0 to %c6
// CHECK:                   vector.transfer_read %{{.*}}[%[[K]], %[[T]], %c0]{{.*}} : tensor<36x6x24xf32>, vector<16xf32>
// CHECK:                   vector.transfer_read %{{.*}}[%[[K]], %[[T]], %c16]{{.*}} : tensor<36x6x24xf32>, vector<8xf32>
// CHECK-COUNT-16:          vector.fma
// CHECK-NOT:               vector.fma
// CHECK:                 vector.transfer_write %{{.*}} : vector<16xf32>, tensor<36x16x24xf32>
// CHECK:             vector.transfer_read %{{.*}} : tensor<?x13x12x16xf32>, vector<5x6x16xf32>
// CHECK:             vector.transfer_read %{{.*}} : tensor<?x13x12x16xf32>, vector<5x4x16xf32>
// CHECK:             vector.transfer_read %{{.*}} : tensor<?x11x10x24xf32>, vector<3x4x16xf32>
// CHECK:             vector.transfer_read %{{.*}} : tensor<?x11x10x24xf32>, vector<3x2x16xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c36
// CHECK:                 scf.for %{{.*}} = %c0 to %c3
// CHECK:           tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[P]], 0, 0, 0] [1, 36, 16, 24] [1, 1, 1, 1] : tensor<36x16x24xf32> into tensor<4x36x16x24xf32>
// CHECK:         scf.for %{{.*}} = %c0 to %c16
// CHECK-COUNT-4:   vector.transfer_read %{{.*}} : tensor<4x36x16x24xf32>, vector<36x1x16xf32>
// CHECK:           vector.transfer_write %{{.*}} : vector<3x3x1x16xf32>, tensor<3x3x16x24xf32>
// CHECK:         tensor.pad %{{.*}} low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:         scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<4x36x32x64xf32>)
// CHECK:           bufferization.alloc_tensor() : tensor<36x14x32xf32>
// CHECK:           bufferization.alloc_tensor() : tensor<36x14x64xf32>
// CHECK:             scf.for %{{.*}} = %c0 to %c4
// CHECK:               arith.minui %{{.*}}, %c2
// CHECK:         scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<4x16x16x16xf32>)
// CHECK:           %[[V2:.*]] = bufferization.alloc_tensor() : tensor<16x25x16xf32>
// CHECK:           %[[M2:.*]] = bufferization.alloc_tensor() : tensor<16x25x16xf32>
// CHECK:           scf.for {{.*}} iter_args({{.*}}, {{.*}} = %[[V2]], {{.*}} = %[[M2]])
// CHECK:               vector.transfer_read %{{.*}} : tensor<?x12x11x16xf32>, vector<4x4x16xf32>
// CHECK:               vector.transfer_read %{{.*}} : tensor<?x10x9x16xf32>, vector<2x2x16xf32>
// CHECK:             vector.transfer_read %{{.*}} : tensor<?x10x9x16xf32>, vector<2x1x16xf32>
// CHECK:         vector.transfer_write %{{.*}} : vector<3x3x1x16xf32>, tensor<3x3x16x16xf32>
// CHECK-NOT:     nnc.conv2d_filter_grad
func.func @filter_grads(%x: tensor<?x13x12x16xf32>, %dy: tensor<?x11x10x24xf32>, %xs: tensor<?x28x28x32xf32>, %dys: tensor<?x28x28x64xf32>, %x2: tensor<?x12x11x16xf32>, %dy2: tensor<?x10x9x16xf32>) -> (tensor<3x3x16x24xf32>, tensor<3x3x32x64xf32>, tensor<3x3x16x16xf32>) {
  %0 = nnc.conv2d_filter_grad %x, %dy {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x13x12x16xf32>, tensor<?x11x10x24xf32> -> tensor<3x3x16x24xf32>
  %1 = nnc.conv2d_filter_grad %xs, %dys {padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : tensor<?x28x28x32xf32>, tensor<?x28x28x64xf32> -> tensor<3x3x32x64xf32>
  %2 = nnc.conv2d_filter_grad %x2, %dy2 {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x12x11x16xf32>, tensor<?x10x9x16xf32> -> tensor<3x3x16x16xf32>
  return %0, %1, %2 : tensor<3x3x16x24xf32>, tensor<3x3x32x64xf32>, tensor<3x3x16x16xf32>
}

// -----

// Filter gradients left to nnc-lower-to-linalg: stride 2, 8 input
// channels, a dU over 512 KiB (16 x 128 x 256 floats).
// CHECK-LABEL: func.func @filter_grads_direct(
// CHECK-NOT:     scf.forall
// CHECK-COUNT-3: nnc.conv2d_filter_grad
// CHECK-NOT:     scf.forall
func.func @filter_grads_direct(%x: tensor<?x9x9x16xf32>, %dy2: tensor<?x4x4x16xf32>, %x8: tensor<?x9x9x8xf32>, %dy: tensor<?x7x7x16xf32>, %xb: tensor<?x7x7x128xf32>, %dyb: tensor<?x5x5x256xf32>) -> (tensor<3x3x16x16xf32>, tensor<3x3x8x16xf32>, tensor<3x3x128x256xf32>) {
  %0 = nnc.conv2d_filter_grad %x, %dy2 {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<?x9x9x16xf32>, tensor<?x4x4x16xf32> -> tensor<3x3x16x16xf32>
  %1 = nnc.conv2d_filter_grad %x8, %dy {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x9x9x8xf32>, tensor<?x7x7x16xf32> -> tensor<3x3x8x16xf32>
  %2 = nnc.conv2d_filter_grad %xb, %dyb {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x7x7x128xf32>, tensor<?x5x5x256xf32> -> tensor<3x3x128x256xf32>
  return %0, %1, %2 : tensor<3x3x16x16xf32>, tensor<3x3x8x16xf32>, tensor<3x3x128x256xf32>
}
