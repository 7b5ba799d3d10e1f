// RUN: nnc-opt %s -nnc-outline-kernels | FileCheck %s
// RUN: nnc-opt %s -nnc-outline-kernels --mlir-print-debuginfo | FileCheck %s --check-prefix=DEBUGINFO

// Loop nests at the top level of functions become calls to kernels; two
// nests that are the same ops on the same types (here the scale-by-2 loop
// of @predict and of @train_step, on different buffers) share one kernel,
// whatever the values they capture are called. Constants are cloned into
// the kernel, not passed; other values from outside (buffers, sizes) are
// its arguments in the order of their first use. A nest that differs (a
// scale by 3) gets its own kernel; a loop with results returns them;
// ops that are not loop nests (memref.copy) stay where they are.
// Locations are not part of a kernel's identity: with
// --mlir-print-debuginfo (nnc passes MLIR's flags through) the two
// scale-by-2 nests, on different lines, still share one kernel.

// DEBUGINFO: func.func private @nnc_kernel_2(
// DEBUGINFO-NOT: @nnc_kernel_3

// CHECK-LABEL: func.func @predict(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: memref<?x16xf32>, %[[Y:[a-z0-9]+]]: memref<?x16xf32>
// CHECK:         %[[N:.*]] = memref.dim %[[X]]
// CHECK:         call @[[SCALE2:nnc_kernel_[0-9]+]](%[[N]], %[[X]], %[[Y]])
// CHECK-NEXT:    return
func.func @predict(%x: memref<?x16xf32>, %y: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %two = arith.constant dense<2.0> : vector<16xf32>
  %pad = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x16xf32>
  scf.forall (%i) in (%n) {
    %v = vector.transfer_read %x[%i, %c0], %pad {in_bounds = [true]} : memref<?x16xf32>, vector<16xf32>
    %w = arith.mulf %v, %two : vector<16xf32>
    vector.transfer_write %w, %y[%i, %c0] {in_bounds = [true]} : vector<16xf32>, memref<?x16xf32>
  }
  return
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:    %[[A:[a-z0-9]+]]: memref<?x16xf32>, %[[B:[a-z0-9]+]]: memref<?x16xf32>, %[[C:[a-z0-9]+]]: memref<?x16xf32>
// CHECK:         %[[M:.*]] = memref.dim %[[A]]
// CHECK:         call @[[SCALE2]](%[[M]], %[[A]], %[[B]])
// CHECK:         call @[[SCALE3:nnc_kernel_[0-9]+]](%[[M]], %[[B]], %[[C]])
// CHECK:         %[[S:.*]] = call @[[SUM:nnc_kernel_[0-9]+]](%[[M]], %[[C]]) : (index, memref<?x16xf32>) -> vector<16xf32>
// CHECK:         memref.copy %[[B]], %[[C]]
// CHECK:         return %[[S]]
func.func @train_step(%a: memref<?x16xf32>, %b: memref<?x16xf32>, %c: memref<?x16xf32>) -> vector<16xf32> {
  %pad = arith.constant 0.0 : f32
  %zero = arith.constant dense<0.0> : vector<16xf32>
  %three = arith.constant dense<3.0> : vector<16xf32>
  %two = arith.constant dense<2.0> : vector<16xf32>
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %m = memref.dim %a, %c0 : memref<?x16xf32>
  scf.forall (%j) in (%m) {
    %v = vector.transfer_read %a[%j, %c0], %pad {in_bounds = [true]} : memref<?x16xf32>, vector<16xf32>
    %w = arith.mulf %v, %two : vector<16xf32>
    vector.transfer_write %w, %b[%j, %c0] {in_bounds = [true]} : vector<16xf32>, memref<?x16xf32>
  }
  scf.forall (%j) in (%m) {
    %v = vector.transfer_read %b[%j, %c0], %pad {in_bounds = [true]} : memref<?x16xf32>, vector<16xf32>
    %w = arith.mulf %v, %three : vector<16xf32>
    vector.transfer_write %w, %c[%j, %c0] {in_bounds = [true]} : vector<16xf32>, memref<?x16xf32>
  }
  %s = scf.for %j = %c0 to %m step %c1 iter_args(%acc = %zero) -> (vector<16xf32>) {
    %v = vector.transfer_read %c[%j, %c0], %pad {in_bounds = [true]} : memref<?x16xf32>, vector<16xf32>
    %t = arith.addf %acc, %v : vector<16xf32>
    scf.yield %t : vector<16xf32>
  }
  memref.copy %b, %c : memref<?x16xf32> to memref<?x16xf32>
  return %s : vector<16xf32>
}

// Three kernels in all, internal to the object.
// CHECK:       func.func private @[[SCALE2]](%{{.*}}: index, %{{.*}}: memref<?x16xf32>, %{{.*}}: memref<?x16xf32>) attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK-DAG:     arith.constant dense<2.000000e+00> : vector<16xf32>
// CHECK:         scf.forall
// CHECK:       func.func private @[[SCALE3]](
// CHECK:         arith.constant dense<3.000000e+00> : vector<16xf32>
// CHECK:         scf.forall
// CHECK:       func.func private @[[SUM]](
// CHECK-SAME:    -> vector<16xf32>
// CHECK:         %[[R:.*]] = scf.for
// CHECK:         return %[[R]] : vector<16xf32>
// CHECK-NOT:   func.func private @nnc_kernel
