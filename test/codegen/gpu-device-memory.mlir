// RUN: nnc-opt %s -nnc-gpu-device-memory | FileCheck %s

// The host's temporaries go to device memory; allocations inside kernels
// are left alone.

// CHECK-LABEL: func.func @f(
// CHECK:         %[[T:.*]] = gpu.alloc (%{{.*}}) : memref<?x10xf32>
// CHECK:         gpu.launch
// CHECK:           memref.alloca() : memref<4xf32>
// CHECK:         gpu.dealloc %[[T]] : memref<?x10xf32>
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.dealloc
func.func @f(%n: index) {
  %c1 = arith.constant 1 : index
  %t = memref.alloc(%n) {alignment = 64 : i64} : memref<?x10xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%a = %c1, %b = %c1, %c = %c1) {
    %local = memref.alloca() : memref<4xf32>
    gpu.terminator
  }
  memref.dealloc %t : memref<?x10xf32>
  return
}
