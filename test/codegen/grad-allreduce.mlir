// RUN: nnc-opt %s -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s

// Bufferization turns the data-parallel gradient ops into calls of the
// runtime's MPI layer on the gradient's buffer, in place: (bucket, offset,
// elements, bucket size, dtype 0 = f32 / 1 = f64, address); the update
// reads the same buffer after the wait.

// CHECK:       func.func private @nnc_rt_grad_wait(i64, i64, i64, i64, i64, i64)
// CHECK:       func.func private @nnc_rt_grad_ready(i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @step(
// CHECK-SAME:    %[[G:[^:]*]]: memref<4x3xf32>
// CHECK:         %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[G]]
// CHECK:         %[[A:.*]] = arith.index_cast %[[P]] : index to i64
// CHECK:         call @nnc_rt_grad_ready(%{{.*}}, %{{.*}}, %[[C12:.*]], %[[C20:.*]], %[[F32:.*]], %[[A]])
// CHECK:         %[[P2:.*]] = memref.extract_aligned_pointer_as_index %[[G]]
// CHECK:         %[[A2:.*]] = arith.index_cast %[[P2]] : index to i64
// CHECK:         call @nnc_rt_grad_wait(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[A2]])
// CHECK:         linalg.generic {{.*}} ins(%[[G]] : memref<4x3xf32>)
// CHECK-LABEL: func.func @wide(
// CHECK:         %[[ONE:.*]] = arith.constant 1 : i64
// CHECK:         call @nnc_rt_grad_ready(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]], %{{.*}})
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @step(%g: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %s = nnc.grad_allreduce_start %g {bucket = 0 : i64, offset = 8 : i64, bucket_size = 20 : i64} : tensor<4x3xf32>
  %w = nnc.grad_allreduce_wait %s {bucket = 0 : i64, offset = 8 : i64} : tensor<4x3xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<4x3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}
func.func @wide(%g: tensor<2xf64>) -> tensor<2xf64> {
  %s = nnc.grad_allreduce_start %g {bucket = 0 : i64, offset = 0 : i64, bucket_size = 2 : i64} : tensor<2xf64>
  %w = nnc.grad_allreduce_wait %s {bucket = 0 : i64, offset = 0 : i64} : tensor<2xf64>
  return %w : tensor<2xf64>
}
