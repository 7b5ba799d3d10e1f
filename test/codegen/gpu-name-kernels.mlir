// RUN: nnc-opt %s -nnc-gpu-name-kernels | FileCheck %s

// Kernels are renamed after their entry point, a counter, the op they
// came from and its source line (read back by the runtime's errors); a
// kernel without a named location is "op".

// CHECK-LABEL: func.func @m_predict(
// CHECK:         gpu.launch_func @m_predict_k0_matmul_l7::@m_predict_k0_matmul_l7
// CHECK:         gpu.launch_func @[[K1:m_predict_k1_op_l[0-9]+]]::@[[K1]]
// CHECK:       gpu.module @m_predict_k0_matmul_l7
// CHECK:         gpu.func @m_predict_k0_matmul_l7(
// CHECK:       gpu.module @[[K1]]
// CHECK:         gpu.func @[[K1]](
module attributes {gpu.container_module} {
  func.func @m_predict(%p: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @m_predict_kernel::@m_predict_kernel
        blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%p : memref<4xf32>) loc(#named)
    gpu.launch_func @m_predict_kernel_0::@m_predict_kernel
        blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%p : memref<4xf32>)
    return
  }
  gpu.module @m_predict_kernel {
    gpu.func @m_predict_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @m_predict_kernel_0 {
    gpu.func @m_predict_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
#file = loc("model.nn":7:3)
#named = loc("matmul"(#file))
