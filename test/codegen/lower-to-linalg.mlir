// RUN: nnc-opt %s -split-input-file -nnc-lower-to-linalg | FileCheck %s

// A unary op is an elementwise generic; the batch size of the result comes
// from tensor.dim of the operand.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @relu(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]] : tensor<?x4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK:           %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[R:.*]] = arith.maximumf %{{.*}}, %[[Z]] : f32
// CHECK:           linalg.yield %[[R]]
// CHECK-NOT:     nnc.
func.func @relu(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = nnc.relu %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A bias broadcasts along the batch: its indexing map keeps only d1.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @bias(
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK-SAME:      ins(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32>)
// CHECK:           arith.addf
func.func @bias(%x: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = nnc.add %x, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A scalar broadcasts with an empty map.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @scalar(
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[SCALAR]], #[[ID]]]
// CHECK-SAME:      ins(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<f32>)
// CHECK:           arith.divf
func.func @scalar(%x: tensor<?x4xf32>, %s: tensor<f32>) -> tensor<?x4xf32> {
  %0 = nnc.div %x, %s : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Size-1 dims repeat: their map reads index 0.

// CHECK-DAG: #[[COL0:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ROW0:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @ones(
// CHECK:         linalg.generic {indexing_maps = [#[[COL0]], #[[ROW0]], #{{.*}}]
// CHECK:           arith.subf
func.func @ones(%x: tensor<?x1xf32>, %y: tensor<1x4xf32>) -> tensor<?x4xf32> {
  %0 = nnc.sub %x, %y : tensor<?x1xf32>, tensor<1x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A 2-D matmul: a zero-filled accumulator sized by the batch, linalg.matmul.

// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<4x3xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3xf32>
// CHECK:         %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<?x3xf32>)
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<?x4xf32>, tensor<4x3xf32>) outs(%[[F]] : tensor<?x3xf32>)
// CHECK:         return %[[MM]]
func.func @matmul(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>) -> tensor<?x3xf32> {
  %0 = nnc.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// A 3-D lhs times a 2-D rhs: one matmul over the merged leading dims.

// CHECK-LABEL: func.func @matmul_3d_2d(
// CHECK-SAME:    %[[X:.*]]: tensor<?x5x4xf32>, %[[W:.*]]: tensor<4x3xf32>
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x5x4xf32> into tensor<?x4xf32>
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[FLAT]], %[[W]] : tensor<?x4xf32>, tensor<4x3xf32>) outs(%{{.*}} : tensor<?x3xf32>)
// CHECK:         %[[R:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2]] output_shape [%{{.*}}, 5, 3] : tensor<?x3xf32> into tensor<?x5x3xf32>
// CHECK:         return %[[R]]
func.func @matmul_3d_2d(%x: tensor<?x5x4xf32>, %w: tensor<4x3xf32>) -> tensor<?x5x3xf32> {
  %0 = nnc.matmul %x, %w : tensor<?x5x4xf32>, tensor<4x3xf32> -> tensor<?x5x3xf32>
  return %0 : tensor<?x5x3xf32>
}

// -----

// Batched on both sides: linalg.batch_matmul.

// CHECK-LABEL: func.func @batch_matmul(
// CHECK:         %[[F:.*]] = linalg.fill {{.*}} -> tensor<?x5x3xf32>
// CHECK:         linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<?x5x4xf32>, tensor<?x4x3xf32>) outs(%[[F]] : tensor<?x5x3xf32>)
// CHECK-NOT:     linalg.matmul
func.func @batch_matmul(%x: tensor<?x5x4xf32>, %y: tensor<?x4x3xf32>) -> tensor<?x5x3xf32> {
  %0 = nnc.matmul %x, %y : tensor<?x5x4xf32>, tensor<?x4x3xf32> -> tensor<?x5x3xf32>
  return %0 : tensor<?x5x3xf32>
}

// -----

// A padded, strided conv: tensor.pad with zeros, then conv_2d_nhwc_hwcf.

// CHECK-LABEL: func.func @conv2d(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8x8x2xf32>, %[[K:.*]]: tensor<3x3x2x4xf32>
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[P:.*]] = tensor.pad %[[X]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:           tensor.yield %[[ZERO]]
// CHECK:         } : tensor<?x8x8x2xf32> to tensor<?x10x10x2xf32>
// CHECK:         %[[F:.*]] = linalg.fill {{.*}} -> tensor<?x4x4x4xf32>
// CHECK:         linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
// CHECK-SAME:      ins(%[[P]], %[[K]] : tensor<?x10x10x2xf32>, tensor<3x3x2x4xf32>) outs(%[[F]] : tensor<?x4x4x4xf32>)
func.func @conv2d(%x: tensor<?x8x8x2xf32>, %f: tensor<3x3x2x4xf32>) -> tensor<?x4x4x4xf32> {
  %0 = nnc.conv2d %x, %f {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x4x4x4xf32>
  return %0 : tensor<?x4x4x4xf32>
}

// -----

// Max pooling pads with -inf (here bottom and right only) and starts from
// -inf.

// CHECK-LABEL: func.func @maxpool(
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[P:.*]] = tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 1, 1, 0]
// CHECK:           tensor.yield %[[NEGINF]]
// CHECK:         } : tensor<?x5x5x4xf32> to tensor<?x6x6x4xf32>
// CHECK:         %[[W:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK:         %[[INIT:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[F:.*]] = linalg.fill ins(%[[INIT]] : f32) {{.*}} -> tensor<?x3x3x4xf32>
// CHECK:         linalg.pooling_nhwc_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
// CHECK-SAME:      ins(%[[P]], %[[W]] : tensor<?x6x6x4xf32>, tensor<2x2xf32>) outs(%[[F]] : tensor<?x3x3x4xf32>)
func.func @maxpool(%x: tensor<?x5x5x4xf32>) -> tensor<?x3x3x4xf32> {
  %0 = nnc.maxpool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 1, 0, 1>} : tensor<?x5x5x4xf32> -> tensor<?x3x3x4xf32>
  return %0 : tensor<?x3x3x4xf32>
}

// -----

// Average pooling with same padding: a sum pool, then a division by the
// number of real elements under each window (4 at corners, 6 on edges, 9
// inside), a constant [OH, OW] tensor read through (d1, d2).

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[HW:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-LABEL: func.func @avgpool(
// CHECK:         %[[P:.*]] = tensor.pad %{{.*}} low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK:         } : tensor<?x4x4x2xf32> to tensor<?x6x6x2xf32>
// CHECK:         %[[SUM:.*]] = linalg.pooling_nhwc_sum {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
// CHECK-SAME:      ins(%[[P]], %{{.*}} : tensor<?x6x6x2xf32>, tensor<3x3xf32>)
// CHECK:         %[[COUNT:.*]] = arith.constant dense<{{\[}}[4.000000e+00, 6.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 9.000000e+00, 6.000000e+00], [6.000000e+00, 9.000000e+00, 9.000000e+00, 6.000000e+00], [4.000000e+00, 6.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<4x4xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[HW]], #[[ID]]]
// CHECK-SAME:      ins(%[[SUM]], %[[COUNT]] : tensor<?x4x4x2xf32>, tensor<4x4xf32>)
// CHECK:           arith.divf
func.func @avgpool(%x: tensor<?x4x4x2xf32>) -> tensor<?x4x4x2xf32> {
  %0 = nnc.avgpool2d %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x4x4x2xf32> -> tensor<?x4x4x2xf32>
  return %0 : tensor<?x4x4x2xf32>
}

// -----

// A reshape goes through [?, P]: one collapse, one expand.

// CHECK-LABEL: func.func @reshape(
// CHECK:         %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<?x3x4xf32> into tensor<?x12xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[C]], %c0
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[C]] {{\[}}[0], [1, 2]] output_shape [%[[N]], 2, 6] : tensor<?x12xf32> into tensor<?x2x6xf32>
// CHECK:         return %[[E]]
func.func @reshape(%x: tensor<?x3x4xf32>) -> tensor<?x2x6xf32> {
  %0 = nnc.reshape %x : tensor<?x3x4xf32> -> tensor<?x2x6xf32>
  return %0 : tensor<?x2x6xf32>
}

// CHECK-LABEL: func.func @flatten(
// CHECK:         %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<?x28x28xf32> into tensor<?x784xf32>
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return %[[C]]
func.func @flatten(%x: tensor<?x28x28xf32>) -> tensor<?x784xf32> {
  %0 = nnc.reshape %x : tensor<?x28x28xf32> -> tensor<?x784xf32>
  return %0 : tensor<?x784xf32>
}

// -----

// CHECK-LABEL: func.func @transpose(
// CHECK-SAME:    %[[X:.*]]: tensor<?x5x3xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x3x5xf32>
// CHECK:         linalg.transpose ins(%[[X]] : tensor<?x5x3xf32>) outs(%[[E]] : tensor<?x3x5xf32>) permutation = [0, 2, 1]
func.func @transpose(%x: tensor<?x5x3xf32>) -> tensor<?x3x5xf32> {
  %0 = nnc.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<?x5x3xf32> -> tensor<?x3x5xf32>
  return %0 : tensor<?x3x5xf32>
}

// -----

// Concatenation inserts each input at its offset along the axis.

// CHECK-LABEL: func.func @concat(
// CHECK-SAME:    %[[A:.*]]: tensor<?x15xf32>, %[[B:.*]]: tensor<?x4xf32>
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %c0
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x19xf32>
// CHECK:         %[[I0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [%[[N]], 15] [1, 1] : tensor<?x15xf32> into tensor<?x19xf32>
// CHECK:         %[[I1:.*]] = tensor.insert_slice %[[B]] into %[[I0]][0, 15] [%[[N]], 4] [1, 1] : tensor<?x4xf32> into tensor<?x19xf32>
// CHECK:         return %[[I1]]
func.func @concat(%a: tensor<?x15xf32>, %b: tensor<?x4xf32>) -> tensor<?x19xf32> {
  %0 = nnc.concat %a, %b {axis = 1} : tensor<?x15xf32>, tensor<?x4xf32> -> tensor<?x19xf32>
  return %0 : tensor<?x19xf32>
}

// -----

// reduce_sum over the features: a reduction generic into a zero-filled [?].

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @reduce_sum(
// CHECK:         %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) {{.*}} -> tensor<?xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:      outs(%[[F]] : tensor<?xf32>)
// CHECK:           arith.addf
func.func @reduce_sum(%x: tensor<?x19xf32>) -> tensor<?xf32> {
  %0 = nnc.reduce_sum %x {axes = array<i64: 1>} : tensor<?x19xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// reduce_mean over everything with keepdims: a full reduction into a
// scalar, a division by batch * 19, and an expand to [1, 1].

// CHECK-LABEL: func.func @reduce_mean(
// CHECK-SAME:    %[[X:.*]]: tensor<?x19xf32>
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK-SAME:      outs(%{{.*}} : tensor<f32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK:         %[[NI:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK:         %[[NF:.*]] = arith.sitofp %[[NI]] : i64 to f32
// CHECK:         %[[C19:.*]] = arith.constant 1.900000e+01 : f32
// CHECK:         %[[COUNT:.*]] = arith.mulf %[[NF]], %[[C19]] : f32
// CHECK:         %[[M:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<f32>)
// CHECK:           arith.divf %{{.*}}, %[[COUNT]] : f32
// CHECK:         tensor.expand_shape %[[M]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
func.func @reduce_mean(%x: tensor<?x19xf32>) -> tensor<1x1xf32> {
  %0 = nnc.reduce_mean %x {axes = array<i64: 0, 1>, keepdims = true} : tensor<?x19xf32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

// reduce_max starts from -inf; with keepdims the reduced middle dim comes
// back as size 1.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[DROP1:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @reduce_max(
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[F:.*]] = linalg.fill ins(%[[NEGINF]] : f32) {{.*}} -> tensor<?x4xf32>
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[DROP1]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK:           arith.maximumf
// CHECK:         tensor.expand_shape %[[R]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
func.func @reduce_max(%x: tensor<?x3x4xf32>) -> tensor<?x1x4xf32> {
  %0 = nnc.reduce_max %x {axes = array<i64: 1>, keepdims = true} : tensor<?x3x4xf32> -> tensor<?x1x4xf32>
  return %0 : tensor<?x1x4xf32>
}

// -----

// Softmax reads x three times: the row max, the sum of exp(x - max), and
// the result exp(x - max) / sum.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:.*]]: tensor<?x10xf32>
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x10xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]], #[[ROWS]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>)
// CHECK:           %[[D:.*]] = arith.subf
// CHECK:           %[[EXP:.*]] = math.exp %[[D]]
// CHECK:           arith.addf %[[EXP]]
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]], #[[ROWS]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MAX]], %[[SUM]] : tensor<?x10xf32>, tensor<?xf32>, tensor<?xf32>)
// CHECK:           math.exp
// CHECK:           arith.divf
// CHECK:         return %[[Y]]
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = nnc.softmax %x {axis = 1} : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Log-softmax: the same two reductions, then x - max - log(sum).

// CHECK-LABEL: func.func @log_softmax(
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:           arith.maximumf
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:           math.exp
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %[[MAX]], %[[SUM]] :
// CHECK:           %[[D:.*]] = arith.subf
// CHECK:           %[[L:.*]] = math.log
// CHECK:           arith.subf %[[D]], %[[L]]
// CHECK-NOT:       arith.divf
func.func @log_softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = nnc.log_softmax %x {axis = 1} : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Inference batchnorm is one elementwise generic over the running
// statistics: (x - mean) * gamma / sqrt(var + eps) + beta.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[F:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @batchnorm(
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[F]], #[[F]], #[[F]], #[[F]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[G:.*]]: f32, %[[B:.*]]: f32, %[[M:.*]]: f32, %[[V:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[D:.*]] = arith.subf %[[X]], %[[M]]
// CHECK:           %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK:           %[[VE:.*]] = arith.addf %[[V]], %[[EPS]]
// CHECK:           %[[SQ:.*]] = math.sqrt %[[VE]]
// CHECK:           %[[S:.*]] = arith.divf %[[G]], %[[SQ]]
// CHECK:           %[[Y:.*]] = arith.mulf %[[D]], %[[S]]
// CHECK:           %[[R:.*]] = arith.addf %[[Y]], %[[B]]
// CHECK:           linalg.yield %[[R]]
// CHECK-NOT:     linalg.generic
func.func @batchnorm(%x: tensor<?x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = nnc.batchnorm %x, %g, %b, %m, %v {eps = 0.001 : f64, momentum = 0.99 : f64} : tensor<?x3xf32>, tensor<3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Layernorm: the row sum, the mean (sum / 3), the sum of squared deviations,
// then one generic that normalizes and applies gamma and beta per feature.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[F:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @layernorm(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3xf32>, %[[G:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>
// CHECK:         %[[N:.*]] = arith.constant 3.000000e+00 : f32
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] :
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<?xf32>)
// CHECK:           arith.divf %{{.*}}, %[[N]]
// CHECK:         %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[MEAN]] :
// CHECK:           arith.mulf
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]], #[[ROWS]], #[[F]], #[[F]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]], %[[MEAN]], %[[SQ]], %[[G]], %[[B]] :
// CHECK:           math.sqrt
// CHECK:           arith.divf
func.func @layernorm(%x: tensor<?x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = nnc.layernorm %x, %g, %b {eps = 1.0e-5 : f64} : tensor<?x3xf32>, tensor<3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Normalize: (x - mean) / sqrt(max(var, eps)), one generic.

// CHECK-LABEL: func.func @normalize(
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[M:.*]]: f32, %[[V:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[EPS:.*]] = arith.constant 1.000000e-07 : f32
// CHECK:           %[[VE:.*]] = arith.maximumf %[[V]], %[[EPS]]
// CHECK:           %[[D:.*]] = arith.subf %[[X]], %[[M]]
// CHECK:           %[[SQ:.*]] = math.sqrt %[[VE]]
// CHECK:           arith.divf %[[D]], %[[SQ]]
func.func @normalize(%x: tensor<?x3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = nnc.normalize %x, %m, %v {eps = 1.0e-7 : f64} : tensor<?x3xf32>, tensor<3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Embedding: a generic over [?, 5, 3] that reads the id through (d0, d1) and
// extracts table[clamp(id, 0, 9), d2].

// CHECK-DAG: #[[IDS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @embedding(
// CHECK-SAME:    %[[T:.*]]: tensor<10x3xf32>, %[[IDS_ARG:.*]]: tensor<?x5xi32>
// CHECK:         %[[N:.*]] = tensor.dim %[[IDS_ARG]], %c0
// CHECK:         tensor.empty(%[[N]]) : tensor<?x5x3xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[IDS]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[IDS_ARG]] : tensor<?x5xi32>)
// CHECK-NEXT:    ^bb0(%[[ID:.*]]: i32, %{{.*}}: f32):
// CHECK:           %[[COL:.*]] = linalg.index 2 : index
// CHECK:           %[[I:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK:           %[[C9:.*]] = arith.constant 9 : index
// CHECK:           %[[LO:.*]] = arith.maxsi %[[I]]
// CHECK:           %[[HI:.*]] = arith.minsi %[[LO]], %[[C9]]
// CHECK:           %[[E:.*]] = tensor.extract %[[T]][%[[HI]], %[[COL]]] : tensor<10x3xf32>
// CHECK:           linalg.yield %[[E]] : f32
func.func @embedding(%e: tensor<10x3xf32>, %ids: tensor<?x5xi32>) -> tensor<?x5x3xf32> {
  %0 = nnc.embedding %e, %ids : tensor<10x3xf32>, tensor<?x5xi32> -> tensor<?x5x3xf32>
  return %0 : tensor<?x5x3xf32>
}

// -----

// Cross-entropy: max and sum of exp per row, then a reduction over the rows
// of log(sum) + max - x[row, label] (the label read with tensor.extract),
// divided by the batch size.

// CHECK-LABEL: func.func @cross_entropy(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3xf32>, %[[L:.*]]: tensor<?xi32>
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         %[[TOT:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[MAX]], %[[SUM]], %[[L]] : tensor<?xf32>, tensor<?xf32>, tensor<?xi32>) outs(%{{.*}} : tensor<f32>)
// CHECK-NEXT:    ^bb0(%[[M:.*]]: f32, %[[S:.*]]: f32, %[[LBL:.*]]: i32, %[[ACC:.*]]: f32):
// CHECK:           %[[ROW:.*]] = linalg.index 0 : index
// CHECK:           arith.index_cast %[[LBL]] : i32 to index
// CHECK:           %[[PICK:.*]] = tensor.extract %[[X]][%[[ROW]], %{{.*}}] : tensor<?x3xf32>
// CHECK:           %[[LOG:.*]] = math.log %[[S]]
// CHECK:           %[[LSE:.*]] = arith.addf %[[LOG]], %[[M]]
// CHECK:           %[[D:.*]] = arith.subf %[[LSE]], %[[PICK]]
// CHECK:           arith.addf %[[D]], %[[ACC]]
// CHECK:         %[[NI:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK:         linalg.generic {{.*}} ins(%[[TOT]] : tensor<f32>)
// CHECK:           arith.divf
func.func @cross_entropy(%x: tensor<?x3xf32>, %t: tensor<?xi32>) -> tensor<f32> {
  %0 = nnc.cross_entropy %x, %t : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Binary cross-entropy on logits, the stable form
// max(x, 0) - x t + log1p(exp(-|x|)), summed over everything, then the mean.

// CHECK-LABEL: func.func @binary_cross_entropy(
// CHECK:         %[[TOT:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<?x1xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:           arith.maximumf
// CHECK:           arith.mulf
// CHECK:           math.absf
// CHECK:           arith.negf
// CHECK:           math.exp
// CHECK:           math.log1p
// CHECK:         linalg.generic {{.*}} ins(%[[TOT]] : tensor<f32>)
// CHECK:           arith.divf
func.func @binary_cross_entropy(%x: tensor<?x1xf32>, %t: tensor<?x1xf32>) -> tensor<f32> {
  %0 = nnc.binary_cross_entropy %x, %t : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// MSE: the sum of squared differences over all elements, divided by
// batch * 3.

// CHECK-LABEL: func.func @mse(
// CHECK:         %[[TOT:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} {{.*}} outs(%{{.*}} : tensor<f32>)
// CHECK:           %[[D:.*]] = arith.subf
// CHECK:           %[[SQ:.*]] = arith.mulf %[[D]], %[[D]]
// CHECK:           arith.addf %[[SQ]]
// CHECK:         %[[C3:.*]] = arith.constant 3.000000e+00 : f32
// CHECK:         %[[COUNT:.*]] = arith.mulf %{{.*}}, %[[C3]]
// CHECK:         linalg.generic {{.*}} ins(%[[TOT]] : tensor<f32>)
// CHECK:           arith.divf %{{.*}}, %[[COUNT]]
func.func @mse(%x: tensor<?x3xf32>, %t: tensor<?x3xf32>) -> tensor<f32> {
  %0 = nnc.mse %x, %t : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Accuracy with class labels: the row max, the first class reaching it
// (a min over the class indices, starting from 3 = the class count), then
// the mean of (argmax == label).

// CHECK-LABEL: func.func @accuracy(
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:           arith.maximumf
// CHECK:         %[[C3:.*]] = arith.constant 3.000000e+00 : f32
// CHECK:         %[[F:.*]] = linalg.fill ins(%[[C3]] : f32) {{.*}} -> tensor<?xf32>
// CHECK:         %[[ARGMAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %[[MAX]] : tensor<?x3xf32>, tensor<?xf32>) outs(%[[F]] : tensor<?xf32>)
// CHECK:           linalg.index 1 : index
// CHECK:           arith.cmpf oeq
// CHECK:           arith.select
// CHECK:           arith.minimumf
// CHECK:         %[[HITS:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[ARGMAX]], %{{.*}} : tensor<?xf32>, tensor<?xi32>) outs(%{{.*}} : tensor<f32>)
// CHECK:           arith.sitofp %{{.*}} : i32 to f32
// CHECK:           arith.cmpf oeq
// CHECK:           arith.uitofp %{{.*}} : i1 to f32
// CHECK:         linalg.generic {{.*}} ins(%[[HITS]] : tensor<f32>)
// CHECK:           arith.divf
func.func @accuracy(%x: tensor<?x3xf32>, %t: tensor<?xi32>) -> tensor<f32> {
  %0 = nnc.accuracy %x, %t : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Accuracy with one logit and 0/1 float targets: (x > 0) == (t > 0.5),
// averaged.

// CHECK-LABEL: func.func @binary_accuracy(
// CHECK:         %[[HITS:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<?x1xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:           %[[P:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : f32
// CHECK:           %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:           %[[Q:.*]] = arith.cmpf ogt, %{{.*}}, %[[HALF]] : f32
// CHECK:           %[[SAME:.*]] = arith.cmpi eq, %[[P]], %[[Q]] : i1
// CHECK:           arith.uitofp %[[SAME]] : i1 to f32
// CHECK-NOT:       linalg.index
// CHECK:         linalg.generic {{.*}} ins(%[[HITS]] : tensor<f32>)
// CHECK:           arith.divf
func.func @binary_accuracy(%x: tensor<?x1xf32>, %t: tensor<?x1xf32>) -> tensor<f32> {
  %0 = nnc.accuracy %x, %t : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @constant(
// CHECK:         %[[C:.*]] = arith.constant dense<2.550000e+02> : tensor<f32>
// CHECK:         return %[[C]]
func.func @constant() -> tensor<f32> {
  %c = nnc.constant dense<255.0> : tensor<f32>
  return %c : tensor<f32>
}

// -----

// Gradient ops: a select, a broadcast back over reduced dims (divided by the
// count for a mean), and softmax minus one-hot.

// CHECK-LABEL: func.func @gradient_ops
// CHECK:         linalg.generic
// CHECK:           arith.cmpf ogt
// CHECK:           arith.select
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel"]}
// CHECK:           arith.divf
// CHECK:         linalg.generic
// CHECK:           math.exp
// CHECK:           arith.cmpi eq
// CHECK:           arith.uitofp
func.func @gradient_ops(%x: tensor<?x3xf32>, %labels: tensor<?xi32>, %g: tensor<f32>, %r: tensor<?xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) {
  %0 = nnc.where_positive %x, %x, %x : tensor<?x3xf32>
  %1 = nnc.reduce_grad %r, %x {axes = array<i64: 1>, mean = true} : tensor<?xf32>, tensor<?x3xf32>
  %2 = nnc.cross_entropy_grad %x, %labels, %g : tensor<?x3xf32>, tensor<?xi32>, tensor<f32>
  return %0, %1, %2 : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// The slice of one axis is a tensor.extract_slice (the batch size read with
// tensor.dim); gelu's gradient is one elementwise generic with erf and exp.

// CHECK-LABEL: func.func @slice_and_gelu_grad
// CHECK:         %[[N:.*]] = tensor.dim %{{.*}}, %c0
// CHECK:         tensor.extract_slice %{{.*}}[0, 1] [%[[N]], 2] [1, 1] : tensor<?x3xf32> to tensor<?x2xf32>
// CHECK:         linalg.generic
// CHECK:           math.erf
// CHECK:           math.exp
func.func @slice_and_gelu_grad(%x: tensor<?x3xf32>) -> (tensor<?x2xf32>, tensor<?x3xf32>) {
  %0 = nnc.slice %x {axis = 1 : i64, start = 1 : i64, size = 2 : i64} : tensor<?x3xf32> -> tensor<?x2xf32>
  %1 = nnc.gelu_grad %x, %x : tensor<?x3xf32>
  return %0, %1 : tensor<?x2xf32>, tensor<?x3xf32>
}

// -----

// layernorm_grad: the row sum and the centered sum of squares again (as the
// forward), one pass with two row sums (dy gamma and dy gamma (x - mean)),
// one elementwise pass for the input's gradient, and the column sums over
// the leading dims for gamma's and beta's.

// CHECK-LABEL: func.func @layernorm_grad(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: tensor<?x5x3xf32>, %[[G:[a-z0-9]+]]: tensor<3xf32>, %[[DY:[a-z0-9]+]]: tensor<?x5x3xf32>
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]] : tensor<?x5x3xf32>) outs(%{{.*}} : tensor<?x5xf32>)
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<?x5xf32>)
// CHECK:         %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[MEAN]] : tensor<?x5x3xf32>, tensor<?x5xf32>)
// CHECK:         %[[SUMS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[DY]], %[[G]], %[[X]], %[[MEAN]] : tensor<?x5x3xf32>, tensor<3xf32>, tensor<?x5x3xf32>, tensor<?x5xf32>) outs(%{{.*}}, %{{.*}} : tensor<?x5xf32>, tensor<?x5xf32>)
// CHECK:         %[[DX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[MEAN]], %[[SQ]], %[[DY]], %[[G]], %[[SUMS]]#0, %[[SUMS]]#1 : {{.*}}) outs(%{{.*}} : tensor<?x5x3xf32>)
// CHECK:           math.sqrt
// CHECK:         %[[DG:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[DY]], %[[X]], %[[MEAN]], %[[SQ]] : {{.*}}) outs(%{{.*}} : tensor<3xf32>)
// CHECK:         %[[DB:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[DY]] : tensor<?x5x3xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK:         return %[[DX]], %[[DG]], %[[DB]]
func.func @layernorm_grad(%x: tensor<?x5x3xf32>, %g: tensor<3xf32>, %dy: tensor<?x5x3xf32>) -> (tensor<?x5x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %0:3 = nnc.layernorm_grad %x, %g, %dy {eps = 1.0e-5 : f64} : tensor<?x5x3xf32>, tensor<3xf32>
  return %0#0, %0#1, %0#2 : tensor<?x5x3xf32>, tensor<3xf32>, tensor<3xf32>
}
