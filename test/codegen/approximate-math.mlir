// RUN: nnc-opt %s -split-input-file -nnc-approximate-math | FileCheck %s

// f32 exp: range reduction (x = k ln2 + r), a polynomial in r with FMAs,
// and 2^k built from the exponent bits. No math.exp is left.

// CHECK-LABEL: func.func @exp_f32(
// CHECK-NOT:     math.exp
// CHECK:         %[[FK:.*]] = math.floor %{{.*}} : f32
// CHECK:         math.fma {{.*}} : f32
// CHECK:         %[[K:.*]] = arith.fptosi %{{.*}} : f32 to i32
// CHECK:         %[[E:.*]] = arith.shli %{{.*}}, %{{.*}} : i32
// CHECK:         %[[P2:.*]] = arith.bitcast %[[E]] : i32 to f32
// CHECK:         %[[R:.*]] = arith.mulf %{{.*}}, %[[P2]] : f32
// CHECK:         return %[[R]]
// CHECK-NOT:     math.exp
func.func @exp_f32(%x: f32) -> f32 {
  %0 = math.exp %x : f32
  return %0 : f32
}

// -----

// The same on vectors, lane-wise: vectorized loops stay vectorized.

// CHECK-LABEL: func.func @exp_vector(
// CHECK-NOT:     math.exp
// CHECK:         math.floor %{{.*}} : vector<16xf32>
// CHECK:         math.fma {{.*}} : vector<16xf32>
// CHECK:         arith.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK-NOT:     math.exp
func.func @exp_vector(%v: vector<16xf32>) -> vector<16xf32> {
  %0 = math.exp %v : vector<16xf32>
  return %0 : vector<16xf32>
}

// -----

// tanh: a rational approximation (two polynomials and a division) on the
// input clamped to about [-8, 8]; tiny inputs return themselves.

// CHECK-LABEL: func.func @tanh(
// CHECK-SAME:    %[[X:.*]]: f32, %[[V:.*]]: vector<16xf32>
// CHECK-NOT:     math.tanh
// CHECK:         math.absf %[[X]] : f32
// CHECK:         math.fma {{.*}} : f32
// CHECK:         arith.divf {{.*}} : f32
// CHECK:         math.absf %[[V]] : vector<16xf32>
// CHECK:         math.fma {{.*}} : vector<16xf32>
// CHECK:         arith.divf {{.*}} : vector<16xf32>
// CHECK-NOT:     math.tanh
func.func @tanh(%x: f32, %v: vector<16xf32>) -> (f32, vector<16xf32>) {
  %0 = math.tanh %x : f32
  %1 = math.tanh %v : vector<16xf32>
  return %0, %1 : f32, vector<16xf32>
}

// -----

// erf (used by gelu): polynomials selected by the input's range.

// CHECK-LABEL: func.func @erf(
// CHECK-NOT:     math.erf
// CHECK:         math.fma {{.*}} : f32
// CHECK:         arith.select {{.*}} : f32
// CHECK:         math.fma {{.*}} : vector<16xf32>
// CHECK:         arith.select {{.*}} : vector<16xi1>, vector<16xf32>
// CHECK-NOT:     math.erf
func.func @erf(%x: f32, %v: vector<16xf32>) -> (f32, vector<16xf32>) {
  %0 = math.erf %x : f32
  %1 = math.erf %v : vector<16xf32>
  return %0, %1 : f32, vector<16xf32>
}

// -----

// log: the mantissa and exponent taken apart with bit operations, then a
// polynomial.

// CHECK-LABEL: func.func @log(
// CHECK-NOT:     math.log
// CHECK:         arith.bitcast %{{.*}} : vector<16xf32> to vector<16xi32>
// CHECK:         arith.shrui
// CHECK:         math.fma {{.*}} : vector<16xf32>
// CHECK-NOT:     math.log
func.func @log(%v: vector<16xf32>) -> vector<16xf32> {
  %0 = math.log %v : vector<16xf32>
  return %0 : vector<16xf32>
}

// -----

// f64 is left to libm.

// CHECK-LABEL: func.func @exp_f64(
// CHECK-SAME:    %[[X:.*]]: f64
// CHECK-NEXT:    %[[R:.*]] = math.exp %[[X]] : f64
// CHECK-NEXT:    return %[[R]] : f64
func.func @exp_f64(%x: f64) -> f64 {
  %0 = math.exp %x : f64
  return %0 : f64
}
