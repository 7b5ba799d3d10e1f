// RUN: nnc-opt %s -split-input-file -nnc-gpu-prepare -mlir-print-debuginfo | FileCheck %s

// A bias gradient (sum over the batch, the reduction first) is
// interchanged so that its parallel dim comes first: one kernel over the
// columns, not a host loop of launches over the rows. The op's name is
// kept in its location for the kernel's name.

// CHECK-DAG:   #[[IN:map[0-9]*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG:   #[[OUT:map[0-9]*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @bias_grad(
// CHECK-NOT:     scf.parallel
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [#[[IN]], #[[OUT]]]
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK:         } loc(#[[NAMED:loc[0-9]*]])
// CHECK:       #[[NAMED]] = loc("generic"(
func.func @bias_grad(%dy: memref<?x10xf32>, %db: memref<10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, n) -> (b, n)>,
                                   affine_map<(b, n) -> (n)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%dy : memref<?x10xf32>) outs(%db : memref<10xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A reduction to a scalar (the loss) has no parallel dim: it is wrapped
// in a one-iteration scf.parallel, so that one device thread runs it
// instead of the host.

// CHECK-LABEL: func.func @loss(
// CHECK:         scf.parallel (%{{.*}}) = (%c0) to (%c1) step (%c1) {
// CHECK-NEXT:      linalg.generic
// CHECK-SAME:        iterator_types = ["reduction"]
// CHECK:           scf.reduce
// CHECK-NEXT:    } loc(#[[NAMED:loc[0-9]*]])
// CHECK:       #[[NAMED]] = loc("generic"(
func.func @loss(%x: memref<?xf32>, %l: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(b) -> (b)>,
                                   affine_map<(b) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<?xf32>) outs(%l : memref<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Named ops are generalized (matmul keeps its name in the location), maps
// too (upstream's generalization skips them), and copies become linalg
// ops that run as kernels.

// CHECK-LABEL: func.func @named(
// CHECK-NOT:     linalg.matmul
// CHECK-NOT:     linalg.map
// CHECK-NOT:     memref.copy
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:         } loc(#[[MM:loc[0-9]*]])
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK:           arith.negf
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK:         } loc(#[[COPY:loc[0-9]*]])
// CHECK-DAG:   #[[MM]] = loc("matmul"(
// CHECK-DAG:   #[[COPY]] = loc("copy"(
func.func @named(%a: memref<4x8xf32>, %b: memref<8x2xf32>, %c: memref<4x2xf32>,
                 %v: memref<5xf32>, %w: memref<5xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x2xf32>)
                outs(%c : memref<4x2xf32>)
  linalg.map { arith.negf } ins(%v : memref<5xf32>) outs(%w : memref<5xf32>)
  memref.copy %w, %v : memref<5xf32> to memref<5xf32>
  return
}
