// RUN: nnc-opt %s -split-input-file -nnc-lower-to-linalg -canonicalize -cse | FileCheck %s

// lstm, forward: the input's projection of all N*T rows as one matmul
// before the loop; then a loop over the 5 steps, each one matmul h U and one
// elementwise generic for the gates (biases broadcast over the batch) that
// yields the new cell and hidden state. Nothing depends on T but the bound.

// CHECK-DAG:  #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:  #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @lstm(
// CHECK-SAME:    %[[X:.*]]: tensor<?x5x3xf32>, %[[K:.*]]: tensor<3x16xf32>, %[[U:.*]]: tensor<4x16xf32>, %[[B:.*]]: tensor<16xf32>
// CHECK:         %[[XF:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<?x5x3xf32> into tensor<?x3xf32>
// CHECK:         %[[XW:.*]] = linalg.matmul ins(%[[XF]], %[[K]] : tensor<?x3xf32>, tensor<3x16xf32>)
// CHECK:         %[[XW3:.*]] = tensor.expand_shape %[[XW]] {{.*}} into tensor<?x5x16xf32>
// CHECK:         %[[R:.*]]:2 = scf.for %[[T:.*]] = %c0 to %c5 step %c1 iter_args(%[[H:.*]] = %{{.*}}, %[[C:.*]] = %{{.*}}) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
// CHECK:           tensor.extract_slice %[[XW3]][0, %[[T]], 0] [%{{.*}}, 1, 16] [1, 1, 1] : tensor<?x5x16xf32> to tensor<?x16xf32>
// CHECK:           %[[HU:.*]] = linalg.matmul ins(%[[H]], %[[U]] : tensor<?x4xf32>, tensor<4x16xf32>)
// CHECK:           %[[G:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ID]], #[[ID]], #[[ID]], #[[ID]]]
// CHECK-COUNT-3:     math.exp
// CHECK:             linalg.yield
// CHECK:           scf.yield %[[G]]#1, %[[G]]#0
// CHECK-NOT:     linalg.matmul
// CHECK:         return %[[R]]#0
func.func @lstm(%x: tensor<?x5x3xf32>, %k: tensor<3x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>) -> tensor<?x4xf32> {
  %0 = nnc.recurrent %x, %k, %u, %b {cell = "lstm", activation = "tanh", return_sequences = false} : tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Training: every step's residuals (here an rnn's h) and, with
// return_sequences, its output are written into [N, T, .] tensors that the
// loop carries.

// CHECK-LABEL: func.func @rnn_train(
// CHECK:         scf.for %[[T:.*]] = {{.*}} iter_args(%[[H:.*]] = %{{.*}}, %[[YS:.*]] = %{{.*}}, %[[RES:.*]] = %{{.*}}) -> (tensor<?x4xf32>, tensor<?x5x4xf32>, tensor<?x5x4xf32>)
// CHECK:           linalg.matmul ins(%[[H]]
// CHECK:           %[[NEW:.*]] = linalg.generic
// CHECK:             math.tanh
// CHECK:           %[[YS2:.*]] = tensor.insert_slice %[[NEW]] into %[[YS]][0, %[[T]], 0] [%{{.*}}, 1, 4] [1, 1, 1]
// CHECK:           %[[RES2:.*]] = tensor.insert_slice %[[NEW]] into %[[RES]][0, %[[T]], 0] [%{{.*}}, 1, 4] [1, 1, 1]
// CHECK:           scf.yield %[[NEW]], %[[YS2]], %[[RES2]]
func.func @rnn_train(%x: tensor<?x5x3xf32>, %k: tensor<3x4xf32>, %u: tensor<4x4xf32>, %b: tensor<4xf32>) -> (tensor<?x5x4xf32>, tensor<?x5x4xf32>) {
  %0:2 = nnc.recurrent_train %x, %k, %u, %b {cell = "rnn", activation = "tanh", return_sequences = true} : tensor<?x5x3xf32>, tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x5x4xf32>, tensor<?x5x4xf32>
  return %0#0, %0#1 : tensor<?x5x4xf32>, tensor<?x5x4xf32>
}

// -----

// gru, backward: h_{t-1} of every step is the residuals' h slot shifted one
// step (zero at t = 0); a reverse loop (t = 4 - k) computes the gate
// gradients in one generic and dh_{t-1} = dA_r U^T + dh z in one matmul
// (U^T copied once before the loop, so the step's matmul is a plain one);
// after it, dK = X^T dA and dU = H_{t-1}^T dA_r over all N*T rows, the two
// bias rows as column sums, dX = dA K^T (K transposed once).

// CHECK-LABEL: func.func @gru_grad(
// CHECK-SAME:    %[[DY:[a-z0-9]+]]: tensor<?x5x4xf32>, %[[X:[a-z0-9]+]]: tensor<?x5x3xf32>, %[[K:[a-z0-9]+]]: tensor<3x12xf32>, %[[U:[a-z0-9]+]]: tensor<4x12xf32>, %[[B:[a-z0-9]+]]: tensor<2x12xf32>, %[[RES:[a-z0-9]+]]: tensor<?x5x20xf32>
// CHECK:         %[[HS:.*]] = tensor.extract_slice %[[RES]][0, 0, 16] [%{{.*}}, 4, 4] [1, 1, 1]
// CHECK:         %[[HPREV:.*]] = tensor.insert_slice %[[HS]] into %{{.*}}[0, 1, 0] [%{{.*}}, 4, 4] [1, 1, 1]
// CHECK:         %[[UT:.*]] = linalg.generic {{.*}} ins(%[[U]] : tensor<4x12xf32>) outs(%{{.*}} : tensor<12x4xf32>)
// CHECK:         %[[L:.*]]:3 = scf.for %[[I:.*]] = %c0 to %c5 step %c1
// CHECK:           %[[T:.*]] = arith.subi %c4, %[[I]]
// CHECK:           tensor.extract_slice %[[DY]][0, %[[T]], 0]
// CHECK:           %[[G:.*]]:5 = linalg.generic
// CHECK:           %[[DH:.*]] = linalg.matmul ins(%{{.*}}, %[[UT]] : tensor<?x12xf32>, tensor<12x4xf32>) outs(%[[G]]#4 : tensor<?x4xf32>)
// CHECK:           scf.yield %[[DH]]
// CHECK:         %[[DXW:.*]] = tensor.collapse_shape %[[L]]#1
// CHECK:         %[[DHR:.*]] = tensor.collapse_shape %[[L]]#2
// CHECK:         %[[XF:.*]] = tensor.collapse_shape %[[X]]
// CHECK:         linalg.matmul_transpose_a ins(%[[XF]], %[[DXW]] : tensor<?x3xf32>, tensor<?x12xf32>) outs(%{{.*}} : tensor<3x12xf32>)
// CHECK:         %[[HF:.*]] = tensor.collapse_shape %[[HPREV]]
// CHECK:         linalg.matmul_transpose_a ins(%[[HF]], %[[DHR]] : tensor<?x4xf32>, tensor<?x12xf32>) outs(%{{.*}} : tensor<4x12xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[DXW]]
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[DHR]]
// CHECK:         %[[KT:.*]] = linalg.transpose ins(%[[K]] : tensor<3x12xf32>) outs(%{{.*}} : tensor<12x3xf32>) permutation = [1, 0]
// CHECK:         linalg.matmul ins(%[[DXW]], %[[KT]] : tensor<?x12xf32>, tensor<12x3xf32>)
func.func @gru_grad(%dy: tensor<?x5x4xf32>, %x: tensor<?x5x3xf32>, %k: tensor<3x12xf32>, %u: tensor<4x12xf32>, %b: tensor<2x12xf32>, %r: tensor<?x5x20xf32>) -> (tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<2x12xf32>) {
  %0:4 = nnc.recurrent_grad %dy, %x, %k, %u, %b, %r {cell = "gru", activation = "tanh", return_sequences = true} : tensor<?x5x4xf32>, tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<2x12xf32>, tensor<?x5x20xf32> -> tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<2x12xf32>
  return %0#0, %0#1, %0#2, %0#3 : tensor<?x5x3xf32>, tensor<3x12xf32>, tensor<4x12xf32>, tensor<2x12xf32>
}

// -----

// Without a reader of the input's gradient (the layer reads data), dX is
// not computed: two matmuls after the loop, not three.

// CHECK-LABEL: func.func @lstm_grad_no_input(
// CHECK:         scf.for
// CHECK:         }
// CHECK-COUNT-2: linalg.matmul_transpose_a
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     linalg.matmul
// CHECK:         return
func.func @lstm_grad_no_input(%dy: tensor<?x4xf32>, %x: tensor<?x5x3xf32>, %k: tensor<3x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>, %r: tensor<?x5x24xf32>) -> (tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>) {
  %0:4 = nnc.recurrent_grad %dy, %x, %k, %u, %b, %r {cell = "lstm", activation = "tanh", return_sequences = false} : tensor<?x4xf32>, tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<?x5x24xf32> -> tensor<?x5x3xf32>, tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>
  return %0#1, %0#2, %0#3 : tensor<3x16xf32>, tensor<4x16xf32>, tensor<16xf32>
}
