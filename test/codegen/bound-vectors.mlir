// RUN: nnc-opt %s -split-input-file -nnc-tile-and-vectorize="vector-bits=512" | FileCheck %s --check-prefix=AVX512
// RUN: nnc-opt %s -split-input-file -nnc-tile-and-vectorize="tile-m=4 tile-n=16 vector-bits=256" | FileCheck %s --check-prefix=AVX2

// Bounded vectors: an op outside the register tiles is tiled so that no
// vector holds more than vector-unroll (4) registers: 64 f32 or 32 f64 with
// 512-bit registers, 32 f32 or 16 f64 with 256-bit ones, whatever the
// tensor's size (a 64 x 64 tanh once became one vector<64x64xf32>).

// AVX512-LABEL: func.func @tanh_64x64(
// AVX512:         scf.for %{{.*}} = %c0 to %c64 step %c1
// AVX512:           math.tanh %{{.*}} : vector<1x64xf32>
// AVX512-NOT:     vector<64x64xf32>
// AVX2-LABEL:   func.func @tanh_64x64(
// AVX2:           scf.for %{{.*}} = %c0 to %c64 step %c1
// AVX2:             scf.for %{{.*}} = %c0 to %c64 step %c32
// AVX2:               math.tanh %{{.*}} : vector<1x32xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @tanh_64x64(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %e = tensor.empty() : tensor<64x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%i: f32, %o: f32):
    %t = math.tanh %i : f32
    linalg.yield %t : f32
  } -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// -----

// A large op (an optimizer update of a 2048 x 2048 layer, say) is split
// across threads by rows as well.

// AVX512-LABEL: func.func @scale_big(
// AVX512:         scf.forall (%{{.*}}) in (2048)
// AVX512:           scf.for %{{.*}} = %c0 to %c2048 step %c64
// AVX512:             arith.mulf %{{.*}} : vector<1x64xf32>
// AVX2-LABEL:   func.func @scale_big(
// AVX2:           scf.forall (%{{.*}}) in (2048)
// AVX2:             scf.for %{{.*}} = %c0 to %c2048 step %c32
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @scale_big(%x: tensor<2048x2048xf32>) -> tensor<2048x2048xf32> {
  %c = arith.constant 0.5 : f32
  %e = tensor.empty() : tensor<2048x2048xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<2048x2048xf32>) outs(%e : tensor<2048x2048xf32>) {
  ^bb0(%i: f32, %o: f32):
    %t = arith.mulf %i, %c : f32
    linalg.yield %t : f32
  } -> tensor<2048x2048xf32>
  return %r : tensor<2048x2048xf32>
}

// -----

// A transpose goes in square blocks (8 x 8, or 4 x 4 with AVX2): rows are
// read whole and the block is transposed in registers.

// AVX512-LABEL: func.func @transpose(
// AVX512:         scf.for %{{.*}} = %c0 to %c64 step %c8
// AVX512:           scf.for %{{.*}} = %c0 to %c128 step %c8
// AVX512:             vector.transfer_read {{.*}} : tensor<8x8xf32>, vector<8x8xf32>
// AVX2-LABEL:   func.func @transpose(
// AVX2:           scf.for %{{.*}} = %c0 to %c64 step %c4
// AVX2:             scf.for %{{.*}} = %c0 to %c128 step %c4
// AVX2:               vector<4x4xf32>
func.func @transpose(%x: tensor<128x64xf32>) -> tensor<64x128xf32> {
  %e = tensor.empty() : tensor<64x128xf32>
  %r = linalg.transpose ins(%x : tensor<128x64xf32>) outs(%e : tensor<64x128xf32>) permutation = [1, 0]
  return %r : tensor<64x128xf32>
}

// -----

// f64 holds half as many per register; a row of 100 goes in tiles that
// divide it (25, or 10 with AVX2) rather than a peeled remainder.

// AVX512-LABEL: func.func @odd_rows(
// AVX512:         scf.for %{{.*}} = %c0 to %c10 step %c1
// AVX512:           scf.for %{{.*}} = %c0 to %c100 step %c25
// AVX512:             math.exp %{{.*}} : vector<1x25xf64>
// AVX2-LABEL:   func.func @odd_rows(
// AVX2:             math.exp %{{.*}} : vector<1x10xf64>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @odd_rows(%x: tensor<10x100xf64>) -> tensor<10x100xf64> {
  %e = tensor.empty() : tensor<10x100xf64>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<10x100xf64>) outs(%e : tensor<10x100xf64>) {
  ^bb0(%i: f64, %o: f64):
    %t = math.exp %i : f64
    linalg.yield %t : f64
  } -> tensor<10x100xf64>
  return %r : tensor<10x100xf64>
}

// -----

// A reduction is tiled along its reduced dim too: the partial sums are
// carried by the loop.

// AVX512-LABEL: func.func @row_sums(
// AVX512:         scf.for %{{.*}} = %c0 to %c64 step %c1
// AVX512:           scf.for %{{.*}} = %c0 to %c100 step %c50 iter_args(%{{.*}}) -> (vector<1xf32>)
// AVX512-NOT:     vector<64x100xf32>
func.func @row_sums(%x: tensor<64x100xf32>) -> tensor<64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  %r = linalg.reduce ins(%x : tensor<64x100xf32>) outs(%f : tensor<64xf32>) dimensions = [1]
    (%i: f32, %o: f32) {
      %s = arith.addf %i, %o : f32
      linalg.yield %s : f32
    }
  return %r : tensor<64xf32>
}
