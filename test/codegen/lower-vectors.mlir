// RUN: nnc-opt %s -split-input-file -nnc-lower-vectors | FileCheck %s

// A register tile's contraction with matmul maps, 8x4 times 4x32: one
// vector.fma on vector<32xf32> per (row, k), each row of B (extracted once
// per k) times a splat element of A, accumulating into the rows of C.

// CHECK-LABEL: func.func @contract(
// CHECK-SAME:    %[[A:[a-z0-9]+]]: vector<8x4xf32>, %[[B:[a-z0-9]+]]: vector<4x32xf32>, %[[C:[a-z0-9]+]]: vector<8x32xf32>
// CHECK-NOT:     vector.contract
// CHECK-NOT:     vector.outerproduct
// CHECK:         %[[B0:.*]] = vector.extract %[[B]][0] : vector<32xf32> from vector<4x32xf32>
// CHECK:         %[[A00:.*]] = vector.extract %[[A]][0, 0] : f32 from vector<8x4xf32>
// CHECK:         %[[S00:.*]] = vector.splat %[[A00]] : vector<32xf32>
// CHECK:         %[[C0:.*]] = vector.extract %[[C]][0] : vector<32xf32> from vector<8x32xf32>
// CHECK:         %[[F00:.*]] = vector.fma %[[S00]], %[[B0]], %[[C0]] : vector<32xf32>
// CHECK-COUNT-7: vector.fma %{{.*}}, %[[B0]], %{{.*}} : vector<32xf32>
// CHECK:         %[[B1:.*]] = vector.extract %[[B]][1] : vector<32xf32> from vector<4x32xf32>
// CHECK:         %[[A01:.*]] = vector.extract %[[A]][0, 1] : f32 from vector<8x4xf32>
// CHECK:         %[[S01:.*]] = vector.splat %[[A01]] : vector<32xf32>
// CHECK:         vector.fma %[[S01]], %[[B1]], %[[F00]] : vector<32xf32>
// CHECK-COUNT-23: vector.fma
// CHECK-NOT:     vector.fma
// CHECK-NOT:     vector.contract
// CHECK:         return
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @contract(%a: vector<8x4xf32>, %b: vector<4x32xf32>, %c: vector<8x32xf32>) -> vector<8x32xf32> {
  %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<8x4xf32>, vector<4x32xf32> into vector<8x32xf32>
  return %r : vector<8x32xf32>
}

// -----

// The form nnc-tile-and-vectorize leaves: both operands read as broadcast
// 3-D vectors and contracted elementwise. The broadcasts fold into the
// contraction's maps: plain 2-D reads of the 8x4 and 4x32 tiles, then the
// same 32 FMAs.

// CHECK-LABEL: func.func @tile(
// CHECK:         vector.transfer_read %{{.*}} {in_bounds = [true, true]} : memref<8x4xf32, strided<[784, 1], offset: ?>>, vector<8x4xf32>
// CHECK:         vector.transfer_read %{{.*}} {in_bounds = [true, true]} : memref<4x32xf32, strided<[128, 1], offset: ?>>, vector<4x32xf32>
// CHECK-NOT:     vector<8x32x4xf32>
// CHECK-COUNT-32: vector.fma {{.*}} : vector<32xf32>
// CHECK-NOT:     vector.fma
// CHECK-NOT:     vector.contract
#read_a = affine_map<(d0, d1) -> (d0, 0, d1)>
#read_b = affine_map<(d0, d1) -> (0, d1, d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @tile(%a: memref<8x4xf32, strided<[784, 1], offset: ?>>, %b: memref<4x32xf32, strided<[128, 1], offset: ?>>, %acc: vector<8x32xf32>) -> vector<8x32xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %va = vector.transfer_read %a[%c0, %c0], %pad {in_bounds = [true, true, true], permutation_map = #read_a} : memref<8x4xf32, strided<[784, 1], offset: ?>>, vector<8x32x4xf32>
  %vb = vector.transfer_read %b[%c0, %c0], %pad {in_bounds = [true, true, true], permutation_map = #read_b} : memref<4x32xf32, strided<[128, 1], offset: ?>>, vector<8x32x4xf32>
  %r = vector.contract {indexing_maps = [#id3, #id3, #out], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %acc : vector<8x32x4xf32>, vector<8x32x4xf32> into vector<8x32xf32>
  return %r : vector<8x32xf32>
}

// -----

// A transfer that broadcasts a bias row over 8 rows: one plain 1-D load of
// the row, then the broadcast (as inserts of that one vector).

// CHECK-LABEL: func.func @broadcast_read(
// CHECK-NOT:     permutation_map
// CHECK:         %[[ROW:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<32xf32>, vector<32xf32>
// CHECK:         %[[I0:.*]] = vector.insert %[[ROW]], %{{.*}} [0] : vector<32xf32> into vector<8x32xf32>
// CHECK:         vector.insert %[[ROW]], %[[I0]] [1] : vector<32xf32> into vector<8x32xf32>
// CHECK-COUNT-6: vector.insert %[[ROW]]
// CHECK-NOT:     vector.transfer_read
func.func @broadcast_read(%m: memref<32xf32>) -> vector<8x32xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %v = vector.transfer_read %m[%c0], %pad {in_bounds = [true, true], permutation_map = affine_map<(d0) -> (0, d0)>} : memref<32xf32>, vector<8x32xf32>
  return %v : vector<8x32xf32>
}

// -----

// A multi-reduction along the inner dim, of a few rows (here 4): one
// vector.reduction per row, a tree (reassociated), from the accumulator's
// element, inserted into the result. (It was the inner-parallel lowering:
// the 4 x 16 rows transposed into 16 vector<4xf32> columns, lane by lane,
// then 16 elementwise adds; the transformer's softmax rows of 28, two at a
// time, became 28 two-lane vectors.)

// CHECK-LABEL: func.func @multi_reduction(
// CHECK-SAME:    %[[V:.*]]: vector<4x16xf32>, %[[ACC:.*]]: vector<4xf32>
// CHECK-NOT:     vector.multi_reduction
// CHECK-NOT:     vector.transpose
// CHECK:         %[[ROW0:.*]] = vector.extract %[[V]][0] : vector<16xf32> from vector<4x16xf32>
// CHECK:         %[[A0:.*]] = vector.extract %[[ACC]][0] : f32 from vector<4xf32>
// CHECK:         %[[S0:.*]] = vector.reduction <add>, %[[ROW0]], %[[A0]] fastmath<reassoc> : vector<16xf32> into f32
// CHECK:         %[[R0:.*]] = vector.insert %[[S0]], %[[ACC]] [0] : f32 into vector<4xf32>
// CHECK:         %[[ROW1:.*]] = vector.extract %[[V]][1] : vector<16xf32> from vector<4x16xf32>
// CHECK:         %[[S1:.*]] = vector.reduction <add>, %[[ROW1]]
// CHECK:         vector.insert %[[S1]], %[[R0]] [1] : f32 into vector<4xf32>
// CHECK-COUNT-2: vector.reduction <add>
// CHECK-NOT:     vector.reduction
// CHECK-NOT:     vector.multi_reduction
func.func @multi_reduction(%v: vector<4x16xf32>, %acc: vector<4xf32>) -> vector<4xf32> {
  %r = vector.multi_reduction <add>, %v, %acc [1] : vector<4x16xf32> to vector<4xf32>
  return %r : vector<4xf32>
}

// More rows than that (here 32 of 16): the inner-parallel lowering, as
// before (adds of vector<32xf32>, one per reduced element).

// CHECK-LABEL: func.func @many_rows(
// CHECK-NOT:     vector.reduction
// CHECK-COUNT-16: arith.addf {{.*}} : vector<32xf32>
// CHECK-NOT:     vector.reduction
func.func @many_rows(%v: vector<32x16xf32>, %acc: vector<32xf32>) -> vector<32xf32> {
  %r = vector.multi_reduction <add>, %v, %acc [1] : vector<32x16xf32> to vector<32xf32>
  return %r : vector<32xf32>
}

// -----

// A row-wise gradient (layernorm's): a statistic of the row, one element
// of a memref<1x1xf32>, read as a vector<1x1x64xf32> broadcast along the
// row's features, and the row's dot product. The read is a scalar load and
// a splat of 64 lanes (not a broadcast along the major dim plus a
// transpose, which made the divisions work on vector<64x1x1xf32>: 64
// one-lane vectors in LLVM); the dot product multiplies the rows as
// vector<64xf32> and adds them with one reassociated vector.reduction (not
// 64 one-lane FMAs); the elementwise ops drop their unit dims and work on
// the rows loaded as vector<64xf32> (no shape_cast moved lane by lane).

// CHECK-LABEL: func.func @row_gradient(
// CHECK-SAME:    %[[STAT:[a-z0-9]+]]: memref<1x1xf32, strided<[28, 1], offset: ?>>
// CHECK-NOT:     vector.transpose
// CHECK-NOT:     vector<64x1x1xf32>
// CHECK-NOT:     vector.shape_cast {{.*}}x64xf32
// CHECK-NOT:     vector.fma
// CHECK:         %[[S:.*]] = memref.load %[[STAT]][%c0, %c0]
// CHECK:         %[[SPLAT:.*]] = vector.splat %[[S]] : vector<1x1x64xf32>
// CHECK:         %[[ROW:.*]] = vector.load {{.*}} : memref<64xf32, strided<[1]>>, vector<64xf32>
// CHECK:         %[[M:.*]] = arith.mulf %[[ROW]], %[[ROW]] : vector<64xf32>
// CHECK:         vector.reduction <add>, %[[M]], %{{.*}} fastmath<reassoc> : vector<64xf32> into f32
// CHECK:         %[[SROW:.*]] = vector.extract %[[SPLAT]][0, 0] : vector<64xf32> from vector<1x1x64xf32>
// CHECK:         %[[Q:.*]] = arith.divf %[[SROW]], %{{.*}} : vector<64xf32>
// CHECK:         %[[D:.*]] = arith.subf %[[ROW]], %[[Q]] : vector<64xf32>
// CHECK:         vector.store %[[D]]
// CHECK-NOT:     vector.transpose
// CHECK-NOT:     vector<64x1x1xf32>
// CHECK-NOT:     vector.shape_cast {{.*}}x64xf32
// CHECK-NOT:     vector.fma
// CHECK:         return
#row = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#acc = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @row_gradient(%stat: memref<1x1xf32, strided<[28, 1], offset: ?>>, %x: memref<1x1x64xf32>, %dot: memref<1x1xf32>, %out: memref<1x1x64xf32>) {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %n = arith.constant dense<64.0> : vector<1x1x64xf32>
  %s = vector.transfer_read %stat[%c0, %c0], %pad {in_bounds = [true, true, true], permutation_map = affine_map<(d0, d1) -> (d0, d1, 0)>} : memref<1x1xf32, strided<[28, 1], offset: ?>>, vector<1x1x64xf32>
  %v = vector.transfer_read %x[%c0, %c0, %c0], %pad {in_bounds = [true, true, true]} : memref<1x1x64xf32>, vector<1x1x64xf32>
  %a = vector.transfer_read %dot[%c0, %c0], %pad {in_bounds = [true, true]} : memref<1x1xf32>, vector<1x1xf32>
  %d = vector.contract {indexing_maps = [#row, #row, #acc], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %v, %v, %a : vector<1x1x64xf32>, vector<1x1x64xf32> into vector<1x1xf32>
  vector.transfer_write %d, %dot[%c0, %c0] {in_bounds = [true, true]} : vector<1x1xf32>, memref<1x1xf32>
  %m = arith.divf %s, %n : vector<1x1x64xf32>
  %r = arith.subf %v, %m : vector<1x1x64xf32>
  vector.transfer_write %r, %out[%c0, %c0, %c0] {in_bounds = [true, true, true]} : vector<1x1x64xf32>, memref<1x1x64xf32>
  return
}

// -----

// An elementwise op on a tile whose innermost dim is 1 (an image's one
// channel, divided by 255): the unit dims are dropped from the op and the
// transfers (a rank-reduced view of the memref), so that it divides
// vector<2x28xf32> rows, not 56 one-lane vectors of a vector<1x2x28x1xf32>.

// CHECK-LABEL: func.func @channel_of_one(
// CHECK-NOT:     vector<1x2x28x1xf32>
// CHECK:         %[[V:.*]] = vector.transfer_read {{.*}} vector<2x28xf32>
// CHECK:         %[[D:.*]] = arith.divf %[[V]], %{{.*}} : vector<2x28xf32>
// CHECK:         vector.transfer_write %[[D]], {{.*}} : vector<2x28xf32>
// CHECK-NOT:     vector<1x2x28x1xf32>
func.func @channel_of_one(%in: memref<1x2x28x1xf32, strided<[784, 28, 1, 1], offset: ?>>, %out: memref<1x2x28x1xf32, strided<[784, 28, 1, 1], offset: ?>>) {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %k = arith.constant dense<255.0> : vector<1x2x28x1xf32>
  %v = vector.transfer_read %in[%c0, %c0, %c0, %c0], %pad {in_bounds = [true, true, true, true]} : memref<1x2x28x1xf32, strided<[784, 28, 1, 1], offset: ?>>, vector<1x2x28x1xf32>
  %d = arith.divf %v, %k : vector<1x2x28x1xf32>
  vector.transfer_write %d, %out[%c0, %c0, %c0, %c0] {in_bounds = [true, true, true, true]} : vector<1x2x28x1xf32>, memref<1x2x28x1xf32, strided<[784, 28, 1, 1], offset: ?>>
  return
}
