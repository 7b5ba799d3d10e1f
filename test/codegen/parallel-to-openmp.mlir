// RUN: nnc-opt %s -nnc-parallel-to-openmp | FileCheck %s
// RUN: nnc-opt %s -nnc-parallel-to-openmp -canonicalize -convert-scf-to-cf -convert-arith-to-llvm -convert-func-to-llvm -convert-openmp-to-llvm -finalize-memref-to-llvm -convert-cf-to-llvm -reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// An scf.parallel over 64 x 32 blocks (what scf.forall becomes) is one
// omp.parallel region, forked only when there is more than one iteration;
// each thread takes a contiguous chunk of the linearized iterations
// (thread t: [t * chunk, min((t + 1) * chunk, total))) and recovers the
// block's indices from it, the last dim fastest. No omp.wsloop (libomp's
// loop init formats a string per call). A nested scf.parallel runs as an
// scf.for inside the thread's iteration; bodies are in alloca scopes.

// CHECK-DAG:   func.func private @omp_get_thread_num() -> i32
// CHECK-DAG:   func.func private @omp_get_num_threads() -> i32
// CHECK-LABEL: func.func @blocks(
// CHECK-SAME:    %[[N:[a-z0-9]+]]: index
// CHECK:         %[[SPAN0:.*]] = arith.subi %[[N]], %c0
// CHECK:         %[[ROWS:.*]] = arith.divsi %{{.*}}, %c64
// CHECK:         %[[COLS:.*]] = arith.divsi %{{.*}}, %c32
// CHECK:         %[[TOTAL:.*]] = arith.muli %[[ROWS]], %[[COLS]]
// CHECK:         %[[FORK:.*]] = arith.cmpi sgt, %[[TOTAL]], %{{.*}}
// CHECK:         omp.parallel if(%[[FORK]]) {
// CHECK:           %[[TID:.*]] = func.call @omp_get_thread_num()
// CHECK:           %[[NT:.*]] = func.call @omp_get_num_threads()
// CHECK:           %[[CHUNK:.*]] = arith.divsi %{{.*}}, %{{.*}} : index
// CHECK:           %[[START:.*]] = arith.muli %{{.*}}, %[[CHUNK]]
// CHECK:           %[[BEGIN:.*]] = arith.minsi %[[START]], %[[TOTAL]]
// CHECK:           %[[END:.*]] = arith.minsi %{{.*}}, %[[TOTAL]]
// CHECK:           scf.for %[[L:.*]] = %[[BEGIN]] to %[[END]] step
// CHECK:             %[[JB:.*]] = arith.remsi %[[L]], %[[COLS]]
// CHECK:             %[[IB:.*]] = arith.divsi %[[L]], %[[COLS]]
// CHECK:             arith.muli %[[JB]], %c32
// CHECK:             arith.muli %[[IB]], %c64
// CHECK:             memref.alloca_scope
// CHECK:               memref.alloca() : memref<8xf32>
// CHECK:               scf.for %{{.*}} = %c0 to %c32 step %c1
// CHECK:                 memref.store
// CHECK:           omp.terminator
// CHECK-NOT:     scf.parallel
// CHECK-NOT:     omp.wsloop

// It lowers to LLVM with the OpenMP runtime's queries and no loop init.
// LLVM:        llvm.func @blocks(
// LLVM:          omp.parallel if(%{{.*}})
// LLVM:            llvm.call @omp_get_thread_num()
// LLVM-NOT:      omp.wsloop
func.func @blocks(%n: index, %buf: memref<?x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c128) step (%c64, %c32) {
    %t = memref.alloca() : memref<8xf32>
    scf.parallel (%k) = (%c0) to (%c32) step (%c1) {
      %jj = arith.addi %j, %k : index
      memref.store %f, %buf[%i, %jj] : memref<?x128xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}
