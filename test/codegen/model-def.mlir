// RUN: nnc-opt %s -split-input-file -nnc-model-def | FileCheck %s
// RUN: nnc-opt %s -split-input-file -nnc-model-def=program=1 | FileCheck %s --check-prefix=PROGRAM

// <model>_def = {abi version 2, &<model>_description, predict, train_step,
// eval_step, gradients}, the runtime's nnc_model_def: entry points found by their
// nnc.entry kind, null for those the model lacks. Without program=1 there
// is no nnc_program_model.

// CHECK-LABEL: llvm.mlir.global external constant @m_def() {{.*}} : !llvm.struct<(i64, ptr, ptr, ptr, ptr, ptr)> {
// CHECK-NEXT:    %[[U:.*]] = llvm.mlir.undef : !llvm.struct<(i64, ptr, ptr, ptr, ptr, ptr)>
// CHECK-NEXT:    %[[ABI:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK-NEXT:    %[[V0:.*]] = llvm.insertvalue %[[ABI]], %[[U]][0]
// CHECK-NEXT:    %[[DESC:.*]] = llvm.mlir.addressof @m_description : !llvm.ptr
// CHECK-NEXT:    %[[V1:.*]] = llvm.insertvalue %[[DESC]], %[[V0]][1]
// CHECK-NEXT:    %[[PRED:.*]] = llvm.mlir.addressof @m_predict : !llvm.ptr
// CHECK-NEXT:    %[[V2:.*]] = llvm.insertvalue %[[PRED]], %[[V1]][2]
// CHECK-NEXT:    %[[TRAIN:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK-NEXT:    %[[V3:.*]] = llvm.insertvalue %[[TRAIN]], %[[V2]][3]
// CHECK-NEXT:    %[[EVAL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK-NEXT:    %[[V4:.*]] = llvm.insertvalue %[[EVAL]], %[[V3]][4]
// CHECK-NEXT:    %[[GRAD:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK-NEXT:    %[[V5:.*]] = llvm.insertvalue %[[GRAD]], %[[V4]][5]
// CHECK-NEXT:    llvm.return %[[V5]] : !llvm.struct<(i64, ptr, ptr, ptr, ptr, ptr)>
// CHECK-NEXT:  }
// CHECK-NOT:   nnc_program_model

// With program=1, also the pointer the executable's main() starts from.

// PROGRAM-LABEL: llvm.mlir.global external constant @m_def()
// PROGRAM:       llvm.mlir.global external constant @nnc_program_model() {{.*}} : !llvm.ptr {
// PROGRAM-NEXT:    %[[DEF:.*]] = llvm.mlir.addressof @m_def : !llvm.ptr
// PROGRAM-NEXT:    llvm.return %[[DEF]] : !llvm.ptr
// PROGRAM-NEXT:  }
module attributes {nnc.model = "m"} {
  llvm.mlir.global internal constant @m_description("{}\00") {addr_space = 0 : i32}
  llvm.func @m_predict(%arg0: i64, %arg1: !llvm.ptr) attributes {nnc.entry = "predict"} {
    llvm.return
  }
  llvm.func @helper(%arg0: i64) {
    llvm.return
  }
}

// -----

// Slots follow the nnc.entry kinds, not the functions' order or names.

// CHECK-LABEL: llvm.mlir.global external constant @net_def()
// CHECK:         llvm.mlir.addressof @net_description
// CHECK:         %[[P:.*]] = llvm.mlir.addressof @entry_a : !llvm.ptr
// CHECK-NEXT:    llvm.insertvalue %[[P]], %{{.*}}[2]
// CHECK:         %[[T:.*]] = llvm.mlir.addressof @entry_c : !llvm.ptr
// CHECK-NEXT:    llvm.insertvalue %[[T]], %{{.*}}[3]
// CHECK:         %[[E:.*]] = llvm.mlir.addressof @entry_b : !llvm.ptr
// CHECK-NEXT:    llvm.insertvalue %[[E]], %{{.*}}[4]
// CHECK:         %[[G:.*]] = llvm.mlir.addressof @entry_d : !llvm.ptr
// CHECK-NEXT:    llvm.insertvalue %[[G]], %{{.*}}[5]
// CHECK-NOT:     llvm.mlir.zero

// PROGRAM-LABEL: llvm.mlir.global external constant @net_def()
// PROGRAM:       llvm.mlir.global external constant @nnc_program_model()
// PROGRAM-NEXT:    llvm.mlir.addressof @net_def : !llvm.ptr
module attributes {nnc.model = "net"} {
  llvm.mlir.global internal constant @net_description("{}\00") {addr_space = 0 : i32}
  llvm.func @entry_d(%arg0: i64, %arg1: !llvm.ptr) attributes {nnc.entry = "gradients"} {
    llvm.return
  }
  llvm.func @entry_b(%arg0: i64, %arg1: !llvm.ptr) attributes {nnc.entry = "eval_step"} {
    llvm.return
  }
  llvm.func @entry_a(%arg0: i64, %arg1: !llvm.ptr) attributes {nnc.entry = "predict"} {
    llvm.return
  }
  llvm.func @entry_c(%arg0: i64, %arg1: !llvm.ptr) attributes {nnc.entry = "train_step"} {
    llvm.return
  }
}
