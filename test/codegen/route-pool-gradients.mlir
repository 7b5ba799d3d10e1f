// RUN: nnc-opt %s -split-input-file -nnc-route-pool-gradients | FileCheck %s
// RUN: nnc-opt %s -split-input-file -nnc-route-pool-gradients="vector-bits=256" | FileCheck %s --check-prefix=AVX2

// conv -> relu -> 2x2 max pool: the bias gradient sums the pooled gradient
// masked by relu at the winners (p > 0), and the input and filter gradients
// add rows of KW * C = 24 at each window's first maximum (the taps T),
// only where the gradient is nonzero: the dense dy is gone. Which windows
// and channels are routed comes from bit masks of up to 64 lanes, one
// scf.while over a mask's set bits (math.cttz): no branch per element;
// a window's masks (one per tap) are computed before its loops.

// CHECK-LABEL: func.func @routed(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x10x10x8xf32>, %[[W:[^:]*]]: tensor<3x3x8x16xf32>, %{{[^:]*}}: tensor<?x8x8x16xf32>, %[[DP:[^:]*]]: tensor<?x4x4x16xf32>
// CHECK:         %[[R:.*]] = nnc.relu
// CHECK:         %[[P:.*]] = nnc.maxpool2d %[[R]]
// CHECK:         %[[G:.*]] = nnc.where_positive %[[P]], %[[DP]], %[[P]] : tensor<?x4x4x16xf32>
// CHECK:         %[[T:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel", "reduction", "parallel"]
// For the filter gradient's masks: G where a maximum was found, each
// channel's 4 x 4 windows contiguous.
// CHECK:         %[[GT:.*]] = linalg.generic {{.*}} ins(%[[G]], %[[T]] : {{.*}}) outs(%{{.*}} : tensor<?x16x4x4xf32>)
// CHECK:           arith.cmpf olt
// CHECK:           arith.select
// CHECK:         %[[RT:.*]] = tensor.collapse_shape %[[GT]] {{.*}} into tensor<?x16x16xf32>
// CHECK:         %[[DB:.*]] = nnc.reduce_sum %[[G]] {axes = array<i64: 0, 1, 2>, keepdims = true}
// The input gradient, image by image and window by window: the window's
// 4 x 4 pixel patch in 16 registers of 8 channels, one mask and loop per
// tap q (G != 0 and T == q); tap q's filter rows go to the registers of
// its pixels (tap 1: one pixel right, tap 2: one row down); then the
// patch is added to the image (seen as [10, 10, 8]) by one 3-D read and
// write.
// CHECK:         %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<3x3x8x16xf32>) {{.*}} permutation = [3, 0, 1, 2]
// CHECK:         %[[WR:.*]] = tensor.collapse_shape %[[WT]] {{.*}} into tensor<16x3x24xf32>
// CHECK:         %[[DXP:.*]] = scf.forall (%[[N:.*]]) in (%{{.*}}) shared_outs(%[[S:.*]] = %{{.*}}) -> (tensor<?x10x80xf32>)
// CHECK:           nnc.parallel_work
// CHECK:           linalg.fill {{.*}} -> tensor<10x80xf32>
// CHECK:           scf.for %[[Y:[^ ]*]] =
// CHECK:             scf.for %[[XX:[^ ]*]] =
// CHECK:               %[[GV:.*]] = vector.transfer_read %[[G]][%[[N]], %[[Y]], %[[XX]], %{{[^]]*}}]{{.*}} vector<16xf32>
// CHECK:               %[[TV:.*]] = vector.transfer_read %[[T]][%[[N]], %[[Y]], %[[XX]], %{{[^]]*}}]{{.*}} vector<16xf32>
// CHECK:               %[[NZ:.*]] = arith.cmpf une, %[[GV]]
// CHECK:               %[[Q0:.*]] = arith.cmpf oeq, %[[TV]]
// CHECK:               %[[B0:.*]] = arith.andi %[[NZ]], %[[Q0]] : vector<16xi1>
// CHECK:               vector.bitcast %[[B0]] : vector<16xi1> to vector<1xi16>
// CHECK-COUNT-3:       arith.cmpf oeq, %[[TV]]
// CHECK:               scf.while (%{{[^ ]*}} = %{{[^,]*}}, %[[P0:[^ ]*]] = %{{[^,]*}}, {{.*}} : (i64, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:                 math.cttz
// CHECK:                 %[[GQ:.*]] = tensor.extract %[[G]][%[[N]], %[[Y]], %[[XX]], %{{.*}}]
// CHECK:                 %[[SC:.*]] = vector.broadcast %[[GQ]] : f32 to vector<8xf32>
// CHECK:                 %[[W0:.*]] = vector.transfer_read %[[WR]]{{.*}} : tensor<16x3x24xf32>, vector<8xf32>
// CHECK:                 vector.fma %[[SC]], %[[W0]], %[[P0]] : vector<8xf32>
// CHECK-COUNT-8:         vector.fma %[[SC]]
// CHECK:               scf.while (%{{[^ ]*}} = %{{[^,]*}}, %{{[^ ]*}} = %{{[^,]*}}, %[[P1:[^ ]*]] = %{{[^,]*}},
// CHECK:                 vector.fma %{{.*}}, %{{.*}}, %[[P1]] : vector<8xf32>
// CHECK:               scf.while (%{{[^ ]*}} = %{{[^,]*}}{{, %[^ ]* = %[^,]*, %[^ ]* = %[^,]*, %[^ ]* = %[^,]*, %[^ ]* = %[^,]*}}, %[[P4:[^ ]*]] = %{{[^,]*}},
// CHECK:                 vector.fma %{{.*}}, %{{.*}}, %[[P4]] : vector<8xf32>
// CHECK:               scf.while
// CHECK:               vector.insert %{{.*}}, %{{.*}} [3, 3] : vector<8xf32> into vector<4x4x8xf32>
// CHECK:               %[[OLD:.*]] = vector.transfer_read {{.*}} : tensor<10x10x8xf32>, vector<4x4x8xf32>
// CHECK:               %[[NEW:.*]] = arith.addf %[[OLD]]
// CHECK:               vector.transfer_write %[[NEW]], {{.*}} : vector<4x4x8xf32>, tensor<10x10x8xf32>
// CHECK:           tensor.parallel_insert_slice {{.*}} into %[[S]][%[[N]], 0, 0] [1, 10, 80]
// CHECK:         %[[DX:.*]] = tensor.expand_shape %[[DXP]] {{.*}} into tensor<?x10x10x8xf32>
// The filter gradient: 4 thread-private parts [F, KH, KW * C]; a
// channel's 3 x 24 rows stay in registers (16 + 8 lanes a row at 512 bits,
// 3 x 8 at 256) across the image's routed windows (a mask of its 16).
// CHECK:         %[[XR:.*]] = tensor.collapse_shape %[[X]] {{.*}} into tensor<?x10x80xf32>
// CHECK:         %[[PARTS:.*]] = scf.forall (%{{.*}}) in (4) {{.*}} -> (tensor<4x16x3x24xf32>)
// CHECK:           scf.for %[[IMG:[^ ]*]] =
// CHECK:             scf.for %[[F:[^ ]*]] =
// CHECK-COUNT-6:       vector.transfer_read {{.*}} : tensor<3x24xf32>, vector<{{16|8}}xf32>
// CHECK:               %[[RV:.*]] = vector.transfer_read %[[RT]][%[[IMG]], %[[F]], %{{[^]]*}}]{{.*}} vector<16xf32>
// CHECK:               %[[NZW:.*]] = arith.cmpf une, %[[RV]]
// CHECK:               vector.bitcast %[[NZW]] : vector<16xi1> to vector<1xi16>
// CHECK:               scf.while {{.*}} : (i64, vector<16xf32>, vector<8xf32>, vector<16xf32>, vector<8xf32>, vector<16xf32>, vector<8xf32>)
// CHECK:                 math.cttz
// CHECK:                 tensor.extract %[[T]]
// CHECK:                 %[[XV:.*]] = vector.transfer_read %[[XR]]{{.*}} : tensor<?x10x80xf32>, vector<16xf32>
// CHECK:                 vector.fma %{{.*}}, %[[XV]]
// CHECK-COUNT-6:       vector.transfer_write
// AVX2-LABEL:  func.func @routed(
// With AVX2, by winner tap and filter row instead of patches: the 4 taps'
// masks once per window, then for each tap q and filter row i a loop over
// q's channels with the row's 3 pixels in registers (3 FMAs per channel
// here, C = 8; up to 12 with chunks of 32 channels), added to the image
// at the row of q's winner: 4 x 3 loops and writes.
// AVX2:          scf.forall
// AVX2:            scf.for
// AVX2:              scf.for
// AVX2-COUNT-4:        arith.cmpf oeq
// AVX2-NOT:            arith.cmpf
// AVX2:                scf.while {{.*}} : (i64, vector<8xf32>, vector<8xf32>, vector<8xf32>) -> (i64, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2-COUNT-3:          vector.fma {{.*}} : vector<8xf32>
// AVX2-NOT:              vector.fma
// AVX2:                vector.transfer_write {{.*}} : vector<1x3x8xf32>, tensor<10x10x8xf32>
// AVX2-COUNT-11:       vector.transfer_write {{.*}} : vector<1x3x8xf32>, tensor<10x10x8xf32>
// AVX2-NOT:            vector.transfer_write {{.*}} tensor<10x10x8xf32>
// AVX2:          scf.forall (%{{.*}}) in (4)
// AVX2:          scf.while {{.*}} : (i64, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:         linalg.generic {{.*}} ins({{.*}} : tensor<16x3x24xf32>, tensor<16x3x24xf32>, tensor<16x3x24xf32>, tensor<16x3x24xf32>)
// CHECK:         %[[DW:.*]] = linalg.transpose {{.*}} permutation = [1, 2, 3, 0]
// CHECK:         return %[[DW]], %[[DX]], %[[DB]]
// CHECK-NOT:     nnc.maxpool2d_grad
// CHECK-NOT:     nnc.conv2d_input_grad
// CHECK-NOT:     nnc.conv2d_filter_grad
func.func @routed(%x: tensor<?x10x10x8xf32>, %w: tensor<3x3x8x16xf32>, %pre: tensor<?x8x8x16xf32>, %dp: tensor<?x4x4x16xf32>) -> (tensor<3x3x8x16xf32>, tensor<?x10x10x8xf32>, tensor<1x1x1x16xf32>) {
  %r = nnc.relu %pre : tensor<?x8x8x16xf32>
  %p = nnc.maxpool2d %r {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x8x8x16xf32> -> tensor<?x4x4x16xf32>
  %g = nnc.maxpool2d_grad %r, %p, %dp {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x8x8x16xf32>, tensor<?x4x4x16xf32>
  %dy = nnc.where_positive %r, %g, %r : tensor<?x8x8x16xf32>
  %db = nnc.reduce_sum %dy {axes = array<i64: 0, 1, 2>, keepdims = true} : tensor<?x8x8x16xf32> -> tensor<1x1x1x16xf32>
  %dx = nnc.conv2d_input_grad %dy, %w {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x8x8x16xf32>, tensor<3x3x8x16xf32> -> tensor<?x10x10x8xf32>
  %dw = nnc.conv2d_filter_grad %x, %dy {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x10x10x8xf32>, tensor<?x8x8x16xf32> -> tensor<3x3x8x16xf32>
  return %dw, %dx, %db : tensor<3x3x8x16xf32>, tensor<?x10x10x8xf32>, tensor<1x1x1x16xf32>
}

// -----

// No activation, 'same' padding and stride 2: G is the pooled gradient
// itself; the input gradient is computed padded ([9, 9 * 8]) and cropped
// to the input. A window's patch is 5 x 5 pixels (its taps 2 apart): in
// groups of 3 x 5 and 2 x 5 registers, added at rows y * 4 and pixels
// x * 4 of the image seen as [9, 9, 8].

// CHECK-LABEL: func.func @padded_strided(
// CHECK-SAME:    %{{[^:]*}}: tensor<?x8x8x8xf32>, %{{[^:]*}}: tensor<3x3x8x16xf32>, %{{[^:]*}}: tensor<?x4x4x16xf32>, %[[DP:[^:]*]]: tensor<?x2x2x16xf32>
// CHECK-NOT:     nnc.where_positive
// CHECK:         scf.forall {{.*}} -> (tensor<?x9x72xf32>)
// CHECK:           %{{.*}}:16 = scf.while
// CHECK:             tensor.extract %[[DP]]
// CHECK:           arith.muli %{{.*}}, %c4
// CHECK:           arith.muli %{{.*}}, %c4
// CHECK:           vector.transfer_write {{.*}} : vector<3x5x8xf32>, tensor<9x9x8xf32>
// CHECK:           %{{.*}}:11 = scf.while
// CHECK:           vector.transfer_write {{.*}} : vector<2x5x8xf32>, tensor<9x9x8xf32>
// CHECK:         tensor.expand_shape {{.*}} into tensor<?x9x9x8xf32>
// CHECK:         tensor.extract_slice {{.*}}[0, 0, 0, 0] [%{{.*}}, 8, 8, 8] [1, 1, 1, 1] : tensor<?x9x9x8xf32> to tensor<?x8x8x8xf32>
// CHECK-NOT:     nnc.conv2d_input_grad
func.func @padded_strided(%x: tensor<?x8x8x8xf32>, %w: tensor<3x3x8x16xf32>, %y: tensor<?x4x4x16xf32>, %dp: tensor<?x2x2x16xf32>) -> tensor<?x8x8x8xf32> {
  %p = nnc.maxpool2d %y {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x4x4x16xf32> -> tensor<?x2x2x16xf32>
  %g = nnc.maxpool2d_grad %y, %p, %dp {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x4x4x16xf32>, tensor<?x2x2x16xf32>
  %dx = nnc.conv2d_input_grad %g, %w {padding = array<i64: 0, 1, 0, 1>, strides = array<i64: 2, 2>} : tensor<?x4x4x16xf32>, tensor<3x3x8x16xf32> -> tensor<?x8x8x8xf32>
  return %dx : tensor<?x8x8x8xf32>
}

// -----

// Left dense: rows of KW * C = 3 (a first layer's C = 1), overlapping
// windows (3 x 3, stride 2), and a dy that something else reads too.

// CHECK-LABEL: func.func @narrow_rows(
// CHECK:         nnc.maxpool2d_grad
// CHECK:         nnc.conv2d_filter_grad
func.func @narrow_rows(%x: tensor<?x10x10x1xf32>, %r: tensor<?x8x8x16xf32>, %dp: tensor<?x4x4x16xf32>) -> tensor<3x3x1x16xf32> {
  %p = nnc.maxpool2d %r {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x8x8x16xf32> -> tensor<?x4x4x16xf32>
  %g = nnc.maxpool2d_grad %r, %p, %dp {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x8x8x16xf32>, tensor<?x4x4x16xf32>
  %dw = nnc.conv2d_filter_grad %x, %g {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x10x10x1xf32>, tensor<?x8x8x16xf32> -> tensor<3x3x1x16xf32>
  return %dw : tensor<3x3x1x16xf32>
}

// CHECK-LABEL: func.func @overlapping(
// CHECK:         nnc.maxpool2d_grad
// CHECK:         nnc.conv2d_filter_grad
func.func @overlapping(%x: tensor<?x10x10x8xf32>, %r: tensor<?x8x8x16xf32>, %dp: tensor<?x3x3x16xf32>) -> tensor<3x3x8x16xf32> {
  %p = nnc.maxpool2d %r {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 3, 3>} : tensor<?x8x8x16xf32> -> tensor<?x3x3x16xf32>
  %g = nnc.maxpool2d_grad %r, %p, %dp {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 3, 3>} : tensor<?x8x8x16xf32>, tensor<?x3x3x16xf32>
  %dw = nnc.conv2d_filter_grad %x, %g {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x10x10x8xf32>, tensor<?x8x8x16xf32> -> tensor<3x3x8x16xf32>
  return %dw : tensor<3x3x8x16xf32>
}

// CHECK-LABEL: func.func @read_elsewhere(
// CHECK:         nnc.maxpool2d_grad
// CHECK:         nnc.conv2d_filter_grad
func.func @read_elsewhere(%x: tensor<?x10x10x8xf32>, %r: tensor<?x8x8x16xf32>, %dp: tensor<?x4x4x16xf32>) -> (tensor<3x3x8x16xf32>, tensor<?x8x8x16xf32>) {
  %p = nnc.maxpool2d %r {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x8x8x16xf32> -> tensor<?x4x4x16xf32>
  %g = nnc.maxpool2d_grad %r, %p, %dp {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x8x8x16xf32>, tensor<?x4x4x16xf32>
  %dw = nnc.conv2d_filter_grad %x, %g {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x10x10x8xf32>, tensor<?x8x8x16xf32> -> tensor<3x3x8x16xf32>
  return %dw, %g : tensor<3x3x8x16xf32>, tensor<?x8x8x16xf32>
}

// -----

// Wide rows: a 5 x 5 filter over 64 channels (rows of 320) under 3 x 3
// windows. The filter gradient's chunks of 3 registers a row (15 of the
// 18) run in a loop of 6 and a rest of 32 columns (10 registers); the
// input gradient's chunks of 16 channels in a loop of 4, each a 7 x 7
// pixel patch in groups of 2 x 7 (and 1 x 7) registers. One copy of the
// code per chunk shape: unrolled, a row's 100 registers made one-shot
// bufferization's analysis of the reads and writes run for minutes.

// CHECK-LABEL: func.func @wide_rows(
// CHECK:         scf.forall (%{{.*}}) in (%{{.*}}) {{.*}} -> (tensor<?x10x640xf32>)
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               scf.for %{{.*}} = %{{.*}} to %c4{{.*}} -> (tensor<10x10x64xf32>)
// CHECK-COUNT-3:         vector.transfer_write {{.*}} : vector<2x7x16xf32>, tensor<10x10x64xf32>
// CHECK:                 vector.transfer_write {{.*}} : vector<1x7x16xf32>, tensor<10x10x64xf32>
// CHECK:         scf.forall (%{{.*}}) in (4) {{.*}} -> (tensor<4x16x5x320xf32>)
// CHECK:               scf.for %{{.*}} = %{{.*}} to %c6{{.*}} -> (tensor<5x320xf32>)
// CHECK:                 scf.while {{.*}} : (i64, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-15:        vector.transfer_write {{.*}} : vector<16xf32>, tensor<5x320xf32>
// CHECK:               scf.while {{.*}} : (i64, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-10:      vector.transfer_write {{.*}} : vector<16xf32>, tensor<5x320xf32>
func.func @wide_rows(%x: tensor<?x10x10x64xf32>, %w: tensor<5x5x64x16xf32>, %pre: tensor<?x6x6x16xf32>, %dp: tensor<?x2x2x16xf32>) -> (tensor<5x5x64x16xf32>, tensor<?x10x10x64xf32>) {
  %r = nnc.relu %pre : tensor<?x6x6x16xf32>
  %p = nnc.maxpool2d %r {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 3, 3>, window = array<i64: 3, 3>} : tensor<?x6x6x16xf32> -> tensor<?x2x2x16xf32>
  %g = nnc.maxpool2d_grad %r, %p, %dp {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 3, 3>, window = array<i64: 3, 3>} : tensor<?x6x6x16xf32>, tensor<?x2x2x16xf32>
  %dy = nnc.where_positive %r, %g, %r : tensor<?x6x6x16xf32>
  %dx = nnc.conv2d_input_grad %dy, %w {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x6x6x16xf32>, tensor<5x5x64x16xf32> -> tensor<?x10x10x64xf32>
  %dw = nnc.conv2d_filter_grad %x, %dy {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x10x10x64xf32>, tensor<?x6x6x16xf32> -> tensor<5x5x64x16xf32>
  return %dw, %dx : tensor<5x5x64x16xf32>, tensor<?x10x10x64xf32>
}

// -----

// With AVX2, channels in chunks of 12 registers per filter row: C = 40 as
// 32 (3 pixels x 4 registers) and the 8 left. (AVX-512 keeps patches.)
// AVX2-LABEL:  func.func @tap_row_chunks(
// AVX2:          scf.while {{.*}} : (i64, vector<32xf32>, vector<32xf32>, vector<32xf32>) -> (i64, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// AVX2-COUNT-3:    vector.fma {{.*}} : vector<32xf32>
// AVX2:          vector.transfer_write {{.*}} : vector<1x3x32xf32>, tensor<10x10x40xf32>
// AVX2:          scf.while {{.*}} : (i64, vector<8xf32>, vector<8xf32>, vector<8xf32>) -> (i64, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2-COUNT-3:    vector.fma {{.*}} : vector<8xf32>
// AVX2:          vector.transfer_write {{.*}} : vector<1x3x8xf32>, tensor<10x10x40xf32>
// CHECK-LABEL: func.func @tap_row_chunks(
// CHECK-NOT:     vector<1x3x32xf32>
// CHECK:         vector.transfer_write {{.*}} : vector<4x4x16xf32>, tensor<10x10x40xf32>
func.func @tap_row_chunks(%w: tensor<3x3x40x16xf32>, %y: tensor<?x8x8x16xf32>, %dp: tensor<?x4x4x16xf32>) -> tensor<?x10x10x40xf32> {
  %p = nnc.maxpool2d %y {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x8x8x16xf32> -> tensor<?x4x4x16xf32>
  %g = nnc.maxpool2d_grad %y, %p, %dp {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x8x8x16xf32>, tensor<?x4x4x16xf32>
  %dx = nnc.conv2d_input_grad %g, %w {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<?x8x8x16xf32>, tensor<3x3x40x16xf32> -> tensor<?x10x10x40xf32>
  return %dx : tensor<?x10x10x40xf32>
}
