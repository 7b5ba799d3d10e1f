// RUN: nnc-opt %s -nnc-approximate-math=gpu=1 | FileCheck %s

// For kernels: no math op is left for convert-gpu-to-nvvm to turn into a
// libdevice call. powf is expanded (then its exp and log are
// polynomials); floor, sqrt, abs, copysign and remainders become PTX
// instructions.

// CHECK-LABEL: func.func @kernel_math(
// CHECK-NOT:     math.
// CHECK-NOT:     arith.remf
// CHECK-DAG:     llvm.inline_asm "cvt.rmi.f32.f32 $0, $1;", "=f,f"
// CHECK-DAG:     llvm.inline_asm "sqrt.rn.f64 $0, $1;", "=d,d"
// CHECK-DAG:     llvm.inline_asm "abs.f32 $0, $1;", "=f,f"
// CHECK-DAG:     llvm.inline_asm "copysign.f32 $0, $1, $2;", "=f,f,f" %arg1, %arg0 :
// CHECK-DAG:     llvm.inline_asm "cvt.rzi.f32.f32 $0, $1;", "=f,f"
func.func @kernel_math(%x: f32, %y: f32, %d: f64) -> (f32, f32, f64, f32, f32, f32) {
  %p = math.powf %x, %y : f32
  %f = math.floor %x : f32
  %s = math.sqrt %d : f64
  %a = math.absf %x : f32
  %c = math.copysign %x, %y : f32
  %r = arith.remf %x, %y : f32
  return %p, %f, %s, %a, %c, %r : f32, f32, f64, f32, f32, f32
}
