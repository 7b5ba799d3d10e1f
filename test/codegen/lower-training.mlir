// RUN: nnc-opt %s -split-input-file -nnc-lower-to-linalg | FileCheck %s

// Optimizer updates are one elementwise generic per parameter, in
// destination-passing style: the parameter (and its slots) are the outs,
// read through the body's out arguments and yielded anew, so that
// bufferization updates them in place. SGD: p - lr * g.

// CHECK-LABEL: func.func @sgd(
// CHECK-SAME:    %[[P:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<4x3xf32>, %[[LR:[^:]*]]: tensor<f32>
// CHECK:         %[[R:.*]] = tensor.extract %[[LR]][]
// CHECK:         linalg.generic {{.*}} ins(%[[G]] : tensor<4x3xf32>) outs(%[[P]] : tensor<4x3xf32>)
// CHECK:         ^bb0(%[[GI:.*]]: f32, %[[PO:.*]]: f32):
// CHECK:           %[[STEP:.*]] = arith.mulf %[[R]], %[[GI]]
// CHECK:           %[[NEW:.*]] = arith.subf %[[PO]], %[[STEP]]
// CHECK:           linalg.yield %[[NEW]]
func.func @sgd(%p: tensor<4x3xf32>, %g: tensor<4x3xf32>, %lr: tensor<f32>) -> tensor<4x3xf32> {
  %0 = nnc.sgd_update %p, %g, %lr : tensor<4x3xf32>, tensor<f32>
  return %0 : tensor<4x3xf32>
}

// -----

// Nesterov momentum: v' = 0.9 v + g; p' = p - lr (g + 0.9 v').

// CHECK-LABEL: func.func @momentum(
// CHECK-SAME:    %[[P:[^:]*]]: tensor<3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[V:[^:]*]]: tensor<3xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[G]] : tensor<3xf32>) outs(%[[P]], %[[V]] : tensor<3xf32>, tensor<3xf32>)
// CHECK:         ^bb0(%[[GI:.*]]: f32, %[[PO:.*]]: f32, %[[VO:.*]]: f32):
// CHECK:           %[[MU:.*]] = arith.constant 0.899999976 : f32
// CHECK:           %[[MV:.*]] = arith.mulf %[[MU]], %[[VO]]
// CHECK:           %[[V2:.*]] = arith.addf %[[MV]], %[[GI]]
// CHECK:           %[[MV2:.*]] = arith.mulf %[[MU]], %[[V2]]
// CHECK:           %[[D:.*]] = arith.addf %[[GI]], %[[MV2]]
// CHECK:           %[[S:.*]] = arith.mulf %{{.*}}, %[[D]]
// CHECK:           %[[P2:.*]] = arith.subf %[[PO]], %[[S]]
// CHECK:           linalg.yield %[[P2]], %[[V2]]
func.func @momentum(%p: tensor<3xf32>, %g: tensor<3xf32>, %v: tensor<3xf32>, %lr: tensor<f32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0:2 = nnc.momentum_update %p, %g, %v, %lr {momentum = 0.9 : f64, nesterov = true} : tensor<3xf32>, tensor<f32>
  return %0#0, %0#1 : tensor<3xf32>, tensor<3xf32>
}

// -----

// AdamW: the bias corrections and the decay factor once per step, outside
// the loop: lr / (1 - b1^t), sqrt(1 - b2^t), 1 - lr wd.

// CHECK-LABEL: func.func @adam(
// CHECK-SAME:    %[[P:[^:]*]]: tensor<3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[M:[^:]*]]: tensor<3xf32>, %[[V:[^:]*]]: tensor<3xf32>, %[[LR:[^:]*]]: tensor<f32>, %[[T:[^:]*]]: tensor<f32>
// CHECK-DAG:     %[[LRS:.*]] = tensor.extract %[[LR]][]
// CHECK-DAG:     %[[TS:.*]] = tensor.extract %[[T]][]
// CHECK:         %[[B1T:.*]] = math.powf %{{.*}}, %[[TS]]
// CHECK:         %[[BC1:.*]] = arith.subf %{{.*}}, %[[B1T]]
// CHECK:         %[[STEPSIZE:.*]] = arith.divf %[[LRS]], %[[BC1]]
// CHECK:         %[[B2T:.*]] = math.powf %{{.*}}, %[[TS]]
// CHECK:         %[[BC2:.*]] = arith.subf %{{.*}}, %[[B2T]]
// CHECK:         %[[BC2S:.*]] = math.sqrt %[[BC2]]
// CHECK:         %[[WD:.*]] = arith.mulf %[[LRS]], %{{.*}}
// CHECK:         %[[DECAY:.*]] = arith.subf %{{.*}}, %[[WD]]
// CHECK:         linalg.generic {{.*}} ins(%[[G]] : tensor<3xf32>) outs(%[[P]], %[[M]], %[[V]] : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK:         ^bb0(%[[GI:.*]]: f32, %[[PO:.*]]: f32, %[[MO:.*]]: f32, %[[VO:.*]]: f32):
// CHECK:           %[[M2:.*]] = arith.addf
// CHECK:           %[[V2:.*]] = arith.addf
// CHECK:           %[[PD:.*]] = arith.mulf %[[PO]], %[[DECAY]]
// CHECK:           %[[SQ:.*]] = math.sqrt %[[V2]]
// CHECK:           %[[SC:.*]] = arith.divf %[[SQ]], %[[BC2S]]
// CHECK:           %[[DEN:.*]] = arith.addf %[[SC]], %{{.*}}
// CHECK:           %[[RATIO:.*]] = arith.divf %[[M2]], %[[DEN]]
// CHECK:           %[[UPD:.*]] = arith.mulf %[[STEPSIZE]], %[[RATIO]]
// CHECK:           %[[P2:.*]] = arith.subf %[[PD]], %[[UPD]]
// CHECK:           linalg.yield %[[P2]], %[[M2]], %[[V2]]
func.func @adam(%p: tensor<3xf32>, %g: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>, %lr: tensor<f32>, %t: tensor<f32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %0:3 = nnc.adam_update %p, %g, %m, %v, %lr, %t {beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-7 : f64, weight_decay = 0.01 : f64} : tensor<3xf32>, tensor<f32>
  return %0#0, %0#1, %0#2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// Dropout in training: a hash of (key, stream, row-major index) per element,
// kept when its top 24 bits reach rate * 2^24, scaled by 1 / (1 - rate).

// CHECK-LABEL: func.func @dropout(
// CHECK:         %[[KEY:.*]] = tensor.extract
// CHECK:         %[[K64:.*]] = arith.extui %[[KEY]] : i32 to i64
// CHECK:         arith.shli %[[K64]], %{{.*}} : i64
// CHECK:         arith.ori %{{.*}}, %c3_i64
// CHECK:         linalg.generic
// CHECK:           linalg.index 0
// CHECK:           linalg.index 1
// CHECK:           arith.shrui %{{.*}}, %c30_i64
// CHECK:           arith.shrui %{{.*}}, %c27_i64
// CHECK:           arith.shrui %{{.*}}, %c31_i64
// CHECK:           %[[DRAW:.*]] = arith.shrui %{{.*}}, %c40_i64
// CHECK:           %[[KEEP:.*]] = arith.cmpi uge, %[[DRAW]], %c4194304_i64
// CHECK:           %[[SCALED:.*]] = arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK:           arith.select %[[KEEP]], %[[SCALED]], %{{.*}} : f32
// CHECK-NOT:     nnc.
func.func @dropout(%x: tensor<?x5xf32>, %key: tensor<i32>) -> tensor<?x5xf32> {
  %0 = nnc.dropout_train %x, %key {rate = 0.25 : f64, stream = 3 : i64} : tensor<?x5xf32>, tensor<i32>
  return %0 : tensor<?x5xf32>
}

// -----

// In a data-parallel step (nnc-optimizer{distributed=1} declares
// nnc_rt_sample_offset) dropout's rows are numbered from this process's
// first sample in the global batch: the row index plus the runtime's
// offset, so that the masks do not depend on how the batch is split.

// CHECK-LABEL: func.func @dropout_offset(
// CHECK:         %[[OFF:.*]] = call @nnc_rt_sample_offset() : () -> i64
// CHECK:         linalg.generic
// CHECK:           %[[ROW:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK:           %[[GLOBAL:.*]] = arith.addi %[[ROW]], %[[OFF]] : i64
// CHECK:           arith.muli %[[GLOBAL]], %{{.*}} : i64
module {
  func.func private @nnc_rt_sample_offset() -> i64
  func.func @dropout_offset(%x: tensor<?x5xf32>, %key: tensor<i32>) -> tensor<?x5xf32> {
    %0 = nnc.dropout_train %x, %key {rate = 5.000000e-01 : f64, stream = 1 : i64} : tensor<?x5xf32>, tensor<i32>
    return %0 : tensor<?x5xf32>
  }
}
