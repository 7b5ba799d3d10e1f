// RUN: nnc-opt %s -nnc-parallel-to-openmp | FileCheck %s
// RUN: nnc-opt %s -nnc-parallel-to-openmp -canonicalize -convert-scf-to-cf -convert-arith-to-llvm -convert-func-to-llvm -convert-openmp-to-llvm -finalize-memref-to-llvm -convert-cf-to-llvm -reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// An scf.parallel over 64 x 32 blocks (what scf.forall becomes) is one
// omp.parallel region, forked only when there is more than one iteration;
// each thread takes a contiguous chunk of the linearized iterations
// (thread t: [t * chunk, min((t + 1) * chunk, total))) and recovers the
// block's indices from it, the last dim fastest. Not forked, the body is
// thread 0 of 1 whatever libomp says (the object code then calls it
// directly, maybe on a thread of the caller's own team). No omp.wsloop (libomp's
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
// CHECK:           %[[TID0:.*]] = func.call @omp_get_thread_num()
// CHECK:           %[[TID1:.*]] = arith.select %[[FORK]], %[[TID0]], %c0_i32
// CHECK:           %[[TID:.*]] = arith.index_cast %[[TID1]]
// CHECK:           %[[NT0:.*]] = func.call @omp_get_num_threads()
// CHECK:           %[[NT1:.*]] = arith.select %[[FORK]], %[[NT0]], %c1_i32
// CHECK:           %[[NT:.*]] = arith.index_cast %[[NT1]]
// CHECK:           %[[CHUNK:.*]] = arith.divsi %{{.*}}, %[[NT]] : index
// CHECK:           %[[START:.*]] = arith.muli %[[TID]], %[[CHUNK]]
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

// A loop with nnc-tile-and-vectorize's work hint forks only when it has
// more than one iteration and at least 2^18 of work (a fork costs more
// than a batch-1 layer's split saves); the hint is gone afterwards, in
// this loop and in a loop that no thread region takes (one with results).

// CHECK-LABEL: func.func @hinted(
// CHECK-SAME:    %[[N:[a-z0-9]+]]: index, %{{.*}}: memref<?x128xf32>, %[[W:[a-z0-9]+]]: index
// CHECK-NOT:     nnc.parallel_work
// CHECK:         %[[MANY:.*]] = arith.cmpi sgt, %{{.*}}, %c1
// CHECK:         %[[ENOUGH:.*]] = arith.cmpi sge, %[[W]], %c262144
// CHECK:         %[[FORK:.*]] = arith.andi %[[MANY]], %[[ENOUGH]]
// CHECK:         omp.parallel if(%[[FORK]])
// CHECK-NOT:     nnc.parallel_work
// CHECK:         return
func.func @hinted(%n: index, %buf: memref<?x128xf32>, %work: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c128) step (%c1, %c1) {
    nnc.parallel_work %work
    memref.store %f, %buf[%i, %j] : memref<?x128xf32>
    scf.reduce
  }
  %s = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%f) -> f32 {
    nnc.parallel_work %work
    scf.reduce(%f : f32) {
    ^bb0(%a: f32, %b: f32):
      %r = arith.addf %a, %b : f32
      scf.reduce.return %r : f32
    }
  }
  return
}
