// RUN: nnc-opt %s -split-input-file -nnc-in-place-updates -verify-diagnostics | FileCheck %s

// An update that bufferization already wrote into its variable's buffer is
// just dropped; one in a fresh buffer is copied into the variable at the
// end, then dropped. The other results stay.

// CHECK-LABEL: func.func @m_train_step(
// CHECK-SAME:    %[[P:[^:]*]]: memref<3xf32> {nnc.variable = "p"}, %[[S:[^:]*]]: memref<3xf32> {nnc.variable = "s"}
// CHECK-SAME:    -> (memref<f32> {nnc.loss})
// CHECK:         %[[NEW:.*]] = memref.alloc() : memref<3xf32>
// CHECK-NOT:     memref.copy %{{.*}}, %[[P]]
// CHECK:         memref.copy %[[NEW]], %[[S]]
// CHECK-NEXT:    return %{{.*}} : memref<f32>
func.func @m_train_step(%p: memref<3xf32> {nnc.variable = "p"}, %s: memref<3xf32> {nnc.variable = "s"})
    -> (memref<f32> {nnc.loss}, memref<3xf32> {nnc.update = "p"}, memref<3xf32> {nnc.update = "s"})
    attributes {nnc.entry = "train_step"} {
  %loss = memref.alloc() : memref<f32>
  %new = memref.alloc() : memref<3xf32>
  return %loss, %p, %new : memref<f32>, memref<3xf32>, memref<3xf32>
}

// -----

// Functions that are not entry points are left alone.

// CHECK-LABEL: func.func @helper(
// CHECK-SAME:    -> (memref<3xf32> {nnc.update = "p"})
func.func @helper(%p: memref<3xf32> {nnc.variable = "p"}) -> (memref<3xf32> {nnc.update = "p"}) {
  return %p : memref<3xf32>
}

// -----

// expected-error @+1 {{update of 'q' has no matching variable argument}}
func.func @bad(%p: memref<3xf32> {nnc.variable = "p"}) -> (memref<3xf32> {nnc.update = "q"})
    attributes {nnc.entry = "train_step"} {
  return %p : memref<3xf32>
}
