// RUN: nnc-opt %s -split-input-file -nnc-abi-wrappers | FileCheck %s

// The entry point becomes the private, internal-linkage <name>_impl, and
// <name>(i64 batch, ptr buffers) takes its place: for each memref argument
// it loads buffers[i], builds a row-major descriptor (dynamic dims from
// %batch, strides the products of the inner sizes) cast to the memref type,
// then calls the implementation. The description becomes a NUL-terminated
// internal constant string. Functions without nnc.entry are left alone.

// CHECK-LABEL: module attributes {nnc.description
// CHECK:       llvm.mlir.global internal constant @m_description("{\22abi\22:1}\00")

// CHECK:       func.func private @m_predict_impl(%{{.*}}: memref<4x3xf32>, %{{.*}}: memref<?x2x4xf32>, %{{.*}}: memref<f32>, %{{.*}}: memref<?x3xf32>)
// CHECK-SAME:    attributes {llvm.linkage = #llvm.linkage<internal>} {
// CHECK-NOT:     nnc.entry

// CHECK:       func.func @m_predict(%[[BATCH:.*]]: i64, %[[BUFS:.*]]: !llvm.ptr) attributes {nnc.entry = "predict"} {

// Argument 0: memref<4x3xf32>, sizes [4, 3], strides [3, 1].
// CHECK:         %[[SLOT0:.*]] = llvm.getelementptr %[[BUFS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[P0:.*]] = llvm.load %[[SLOT0]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[U0:.*]] = llvm.mlir.undef : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK:         %[[D0A:.*]] = llvm.insertvalue %[[P0]], %[[U0]][0]
// CHECK:         %[[D0B:.*]] = llvm.insertvalue %[[P0]], %[[D0A]][1]
// CHECK:         %[[ZERO:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK:         llvm.insertvalue %[[ZERO]], %[[D0B]][2]
// CHECK:         %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK:         %[[THREE:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK:         llvm.insertvalue %[[THREE]], %{{.*}}[3, 1]
// CHECK:         llvm.insertvalue %[[ONE]], %{{.*}}[4, 1]
// CHECK:         %[[S0:.*]] = llvm.mul %[[ONE]], %[[THREE]] : i64
// CHECK:         %[[FOUR:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK:         llvm.insertvalue %[[FOUR]], %{{.*}}[3, 0]
// CHECK:         %[[DESC0:.*]] = llvm.insertvalue %[[S0]], %{{.*}}[4, 0]
// CHECK:         %[[M0:.*]] = builtin.unrealized_conversion_cast %[[DESC0]] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<4x3xf32>

// Argument 1: memref<?x2x4xf32>, sizes [%batch, 2, 4], strides [8, 4, 1].
// CHECK:         %[[SLOT1:.*]] = llvm.getelementptr %[[BUFS]][1]
// CHECK:         %[[P1:.*]] = llvm.load %[[SLOT1]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.mlir.undef : !llvm.struct<(ptr, ptr, i64, array<3 x i64>, array<3 x i64>)>
// CHECK:         llvm.insertvalue %[[P1]], %{{.*}}[0]
// CHECK:         llvm.insertvalue %[[P1]], %{{.*}}[1]
// CHECK:         %[[ONE1:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK:         %[[C4:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK:         llvm.insertvalue %[[C4]], %{{.*}}[3, 2]
// CHECK:         llvm.insertvalue %[[ONE1]], %{{.*}}[4, 2]
// CHECK:         %[[S12:.*]] = llvm.mul %[[ONE1]], %[[C4]] : i64
// CHECK:         %[[C2:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK:         llvm.insertvalue %[[C2]], %{{.*}}[3, 1]
// CHECK:         llvm.insertvalue %[[S12]], %{{.*}}[4, 1]
// CHECK:         %[[S11:.*]] = llvm.mul %[[S12]], %[[C2]] : i64
// CHECK:         llvm.insertvalue %[[BATCH]], %{{.*}}[3, 0]
// CHECK:         %[[DESC1:.*]] = llvm.insertvalue %[[S11]], %{{.*}}[4, 0]
// CHECK:         %[[M1:.*]] = builtin.unrealized_conversion_cast %[[DESC1]] : {{.*}} to memref<?x2x4xf32>

// Argument 2: a rank-0 memref has no sizes or strides.
// CHECK:         %[[SLOT2:.*]] = llvm.getelementptr %[[BUFS]][2]
// CHECK:         llvm.mlir.undef : !llvm.struct<(ptr, ptr, i64)>
// CHECK:         %[[M2:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64)> to memref<f32>

// Argument 3: the output, memref<?x3xf32>.
// CHECK:         %[[SLOT3:.*]] = llvm.getelementptr %[[BUFS]][3]
// CHECK:         llvm.insertvalue %[[BATCH]], %{{.*}}[3, 0]
// CHECK:         %[[M3:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x3xf32>

// CHECK:         call @m_predict_impl(%[[M0]], %[[M1]], %[[M2]], %[[M3]]) : (memref<4x3xf32>, memref<?x2x4xf32>, memref<f32>, memref<?x3xf32>) -> ()
// CHECK-NEXT:    return
// CHECK-NEXT:  }

// CHECK:       func.func @helper(%{{.*}}: memref<?xf32>) {
// CHECK-NOT:   func.func @helper_impl
module attributes {nnc.model = "m", nnc.description = "{\22abi\22:1}"} {
  func.func @m_predict(%w: memref<4x3xf32>, %x: memref<?x2x4xf32>, %s: memref<f32>, %y: memref<?x3xf32>) attributes {nnc.entry = "predict"} {
    return
  }
  func.func @helper(%a: memref<?xf32>) {
    return
  }
}

// -----

// Every entry point gets a wrapper, whatever its kind; a module with no
// entry points still gets its description.

// CHECK-LABEL: module attributes
// CHECK:       llvm.mlir.global internal constant @two_description("{}\00")
// CHECK:       func.func private @two_predict_impl(
// CHECK:       func.func @two_predict(%{{.*}}: i64, %{{.*}}: !llvm.ptr) attributes {nnc.entry = "predict"}
// CHECK:         call @two_predict_impl(
// CHECK:       func.func private @two_train_step_impl(
// CHECK:       func.func @two_train_step(%{{.*}}: i64, %{{.*}}: !llvm.ptr) attributes {nnc.entry = "train_step"}
// CHECK:         call @two_train_step_impl(
module attributes {nnc.model = "two", nnc.description = "{}"} {
  func.func @two_predict(%x: memref<?x4xf32>) attributes {nnc.entry = "predict"} {
    return
  }
  func.func @two_train_step(%x: memref<?x4xf32>) attributes {nnc.entry = "train_step"} {
    return
  }
}

// -----

// CHECK-LABEL: module attributes
// CHECK:       llvm.mlir.global internal constant @none_description("{\22entries\22:{}}\00")
// CHECK-NOT:   func.func
module attributes {nnc.model = "none", nnc.description = "{\22entries\22:{}}"} {
}
