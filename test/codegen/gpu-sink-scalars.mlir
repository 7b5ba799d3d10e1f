// RUN: nnc-opt %s -split-input-file -nnc-gpu-sink-scalars -canonicalize | FileCheck %s

// Adam's bias correction, computed by the host from the step argument
// between kernels, is recomputed inside the kernel that uses it: the host
// no longer reads device memory.

// CHECK-LABEL: func.func @m_train_step(
// CHECK-NOT:     memref.load
// CHECK-NOT:     math.powf
// CHECK:         gpu.launch
// CHECK:           %[[STEP:.*]] = memref.load %arg1[] : memref<f32>
// CHECK:           %[[POW:.*]] = math.powf %{{.*}}, %[[STEP]] : f32
// CHECK:           %[[CORR:.*]] = arith.subf %{{.*}}, %[[POW]] : f32
// CHECK:           memref.store %[[CORR]]
func.func @m_train_step(%p: memref<16xf32>, %step: memref<f32> {nnc.step})
    attributes {nnc.entry = "train_step"} {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  %beta = arith.constant 0.9 : f32
  %s = memref.load %step[] : memref<f32>
  %pow = math.powf %beta, %s : f32
  %corr = arith.subf %one, %pow : f32
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%a = %c16, %b = %c1, %c = %c1) {
    memref.store %corr, %p[%tx] : memref<16xf32>
    gpu.terminator
  }
  return
}

// -----

// Values computed from buffers that kernels write (here: a loss) are not
// moved: a later read could see another value.

// CHECK-LABEL: func.func @m_eval_step(
// CHECK:         %[[V:.*]] = memref.load %arg1[] : memref<f32>
// CHECK:         gpu.launch
// CHECK-NOT:       memref.load
// CHECK:           memref.store %[[V]]
func.func @m_eval_step(%p: memref<16xf32>, %loss: memref<f32> {nnc.loss})
    attributes {nnc.entry = "eval_step"} {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %v = memref.load %loss[] : memref<f32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%a = %c16, %b = %c1, %c = %c1) {
    memref.store %v, %p[%tx] : memref<16xf32>
    gpu.terminator
  }
  return
}
