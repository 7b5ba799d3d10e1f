// RUN: nnc-opt %s -split-input-file -verify-diagnostics

func.func @broadcast(%a: tensor<?x4xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{cannot broadcast f32[batch, 4] and f32[5]: dimension 1 differs}}
  %0 = nnc.add %a, %b : tensor<?x4xf32>, tensor<5xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @broadcast_result(%a: tensor<?x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'nnc.add' op result type 'tensor<?x5xf32>' should be 'tensor<?x4xf32>'}}
  %0 = nnc.add %a, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x5xf32>
  return
}

// -----

func.func @element_types(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{operands have different element types}}
  %0 = nnc.mul %a, %b : tensor<4xf32>, tensor<4xf64> -> tensor<4xf32>
  return
}

// -----

func.func @matmul_inner(%a: tensor<?x4xf32>, %b: tensor<5x3xf32>) {
  // expected-error @+1 {{@ inner dimensions differ: f32[batch, 4] @ f32[5, 3]}}
  %0 = nnc.matmul %a, %b : tensor<?x4xf32>, tensor<5x3xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{@ needs operands of rank 2 or more}}
  %0 = nnc.matmul %a, %b : tensor<4xf32>, tensor<4x3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<?x8x8x2xf32>, %f: tensor<3x3x3x4xf32>) {
  // expected-error @+1 {{conv2d filter f32[3, 3, 3, 4] expects 3 input channels, got f32[batch, 8, 8, 2]}}
  %0 = nnc.conv2d %x, %f {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x2xf32>, tensor<3x3x3x4xf32> -> tensor<?x6x6x4xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<?x2x2x2xf32>, %f: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{conv2d window 3x3 does not fit the input f32[batch, 2, 2, 2]}}
  %0 = nnc.conv2d %x, %f {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x2x2x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x1x1x4xf32>
  return
}

// -----

func.func @conv_strides(%x: tensor<?x8x8x2xf32>, %f: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{strides must be two positive integers}}
  %0 = nnc.conv2d %x, %f {strides = array<i64: 0, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x6x6x4xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<?x8x8xf32>) {
  // expected-error @+1 {{pooling needs an NHWC input, got f32[batch, 8, 8]}}
  %0 = nnc.maxpool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8xf32> -> tensor<?x4x4xf32>
  return
}

// -----

func.func @pool_padding(%x: tensor<?x8x8x1xf32>) {
  // expected-error @+1 {{padding must be four non-negative integers [top, bottom, left, right]}}
  %0 = nnc.avgpool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<?x8x8x1xf32> -> tensor<?x4x4x1xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<?x28x28xf32>) {
  // expected-error @+1 {{element count changes}}
  %0 = nnc.reshape %x : tensor<?x28x28xf32> -> tensor<?x783xf32>
  return
}

// -----

func.func @reshape_batch(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{the batch dim must stay first}}
  %0 = nnc.reshape %x : tensor<?x4xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<?x4x5xf32>) {
  // expected-error @+1 {{perm must be a permutation of 0..2}}
  %0 = nnc.transpose %x {perm = array<i64: 0, 1, 1>} : tensor<?x4x5xf32> -> tensor<?x4x4xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<?x4x2xf32>, %b: tensor<?x5x2xf32>) {
  // expected-error @+1 {{concat along axis 2 needs the other dims equal}}
  %0 = nnc.concat %a, %b {axis = 2} : tensor<?x4x2xf32>, tensor<?x5x2xf32> -> tensor<?x4x4xf32>
  return
}

// -----

func.func @reduce_axes(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{reduction axes must be distinct dims of f32[batch, 4]}}
  %0 = nnc.reduce_sum %x {axes = array<i64: 1, 1>} : tensor<?x4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{axis 2 is out of range}}
  %0 = nnc.softmax %x {axis = 2} : tensor<?x4xf32>
  return
}

// -----

func.func @batchnorm_params(%x: tensor<?x4xf32>, %p: tensor<5xf32>) {
  // expected-error @+1 {{parameters must be 'tensor<4xf32>'}}
  %0 = nnc.batchnorm %x, %p, %p, %p, %p {eps = 0.001 : f64, momentum = 0.99 : f64} : tensor<?x4xf32>, tensor<5xf32>
  return
}

// -----

func.func @normalize_stats(%x: tensor<?x4xf32>, %p: tensor<?x4xf32>) {
  // expected-error @+1 {{statistics must be 'tensor<4xf32>'}}
  %0 = nnc.normalize %x, %p, %p {eps = 1.0e-7 : f64} : tensor<?x4xf32>, tensor<?x4xf32>
  return
}

// -----

func.func @dropout_rate(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{rate must be in [0, 1)}}
  %0 = nnc.dropout %x {rate = 1.0 : f64, stream = 0} : tensor<?x4xf32>
  return
}

// -----

func.func @embedding_table(%t: tensor<10xf32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{embedding table must be [vocab, dim], got f32[10]}}
  %0 = nnc.embedding %t, %ids : tensor<10xf32>, tensor<?xi32> -> tensor<?x1xf32>
  return
}

// -----

func.func @cross_entropy_labels(%l: tensor<?x10xf32>, %t: tensor<?xf32>) {
  // expected-error @+1 {{'nnc.cross_entropy' op operand #1 must be ranked tensor of 32-bit signless integer values}}
  %0 = nnc.cross_entropy %l, %t : tensor<?x10xf32>, tensor<?xf32> -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_rows(%l: tensor<?x10xf32>, %t: tensor<5xi32>) {
  // expected-error @+1 {{cross_entropy expects labels with one class id per row of the logits}}
  %0 = nnc.cross_entropy %l, %t : tensor<?x10xf32>, tensor<5xi32> -> tensor<f32>
  return
}

// -----

func.func @mse_shapes(%a: tensor<?x1xf32>, %b: tensor<?xf32>) {
  // expected-error @+1 {{mse expects two tensors of the same shape and type, got f32[batch, 1] and f32[batch]}}
  %0 = nnc.mse %a, %b : tensor<?x1xf32>, tensor<?xf32> -> tensor<f32>
  return
}

// -----

func.func @loss_scalar(%a: tensor<?xf32>) {
  // expected-error @+1 {{operand #0 must be 0D tensor of 32-bit float or 64-bit float values}}
  nnc.loss %a : tensor<?xf32>
  return
}

// -----

func.func @load_missing() {
  // expected-error @+1 {{'nope' is not an nnc.variable}}
  %0 = nnc.load @nope : tensor<4xf32>
  return
}

// -----

nnc.variable @w param : tensor<4x3xf32> init glorot_uniform
func.func @load_type() {
  // expected-error @+1 {{type 'tensor<3x4xf32>' differs from the variable's 'tensor<4x3xf32>'}}
  %0 = nnc.load @w : tensor<3x4xf32>
  return
}

// -----

// expected-error @+1 {{variable must have a static shape}}
nnc.variable @v param : tensor<?x3xf32> init zeros

// -----

// expected-error @+1 {{init scale must be non-negative}}
nnc.variable @v param : tensor<3xf32> init normal {scale = -1.0 : f64}

// -----

func.func @reduce_grad_shape(%g: tensor<5xf32>, %x: tensor<?x3xf32>) {
  // expected-error @+1 {{gradient 'tensor<5xf32>' is not the reduction of 'tensor<?x3xf32>' over the axes}}
  %0 = nnc.reduce_grad %g, %x {axes = array<i64: 1>} : tensor<5xf32>, tensor<?x3xf32>
  return
}

// -----

func.func @slice_range(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{slice [2, 4) is out of the axis}}
  %0 = nnc.slice %x {axis = 1 : i64, start = 2 : i64, size = 2 : i64} : tensor<?x3xf32> -> tensor<?x2xf32>
  return
}
