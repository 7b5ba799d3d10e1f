// RUN: nnc-opt %s -split-input-file -nnc-describe-model | FileCheck %s

// The module gets its interface as JSON in nnc.description (MLIR prints the
// quotes as \22; the keys come out sorted): variables with shape, kind and
// initializer, inputs and targets (the batch dim as -1), outputs, metrics,
// whether there is a loss, the train block and the entry points, and each
// entry point's memory (variables 4x3 + 3 floats = 60 bytes; per sample x's
// 16 bytes and the matmul's 12 live to the return: 28 bytes). The graph
// function and the nnc.variables are erased; the entry point stays.

// CHECK-LABEL: module attributes {nnc.description = "{
// CHECK-SAME:    \22abi\22:3,
// CHECK-SAME:    \22entries\22:{\22predict\22:\22m_predict\22},
// CHECK-SAME:    \22has_loss\22:true,
// CHECK-SAME:    \22inputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22x\22,\22shape\22:[-1,4]}],
// CHECK-SAME:    \22layers\22:[{\22line\22:{{[0-9]+}},\22name\22:\22dense_1\22,\22op\22:\22dense\22,\22params\22:0,\22shape\22:[-1,3],\22state\22:0}],
// CHECK-SAME:    \22memory\22:{\22predict\22:{\22large\22:[0,28],\22small\22:[0,28],\22variables\22:60}},
// CHECK-SAME:    \22metrics\22:[\22accuracy\22],
// CHECK-SAME:    \22model\22:\22m\22,
// CHECK-SAME:    \22normalize\22:[],
// CHECK-SAME:    \22outputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22logits\22,\22shape\22:[-1,3]}],
// CHECK-SAME:    \22source_hash\22:\22{{[0-9a-f]+}}\22,
// CHECK-SAME:    \22targets\22:[{\22dtype\22:\22i32\22,\22name\22:\22label\22,\22shape\22:[-1]}],
// CHECK-SAME:    \22train\22:{\22batch\22:32,\22optimizer\22:{\22kind\22:\22sgd\22,\22lr\22:0.5},\22shuffle\22:true},
// CHECK-SAME:    \22variables\22:[
// CHECK-SAME:      {\22dtype\22:\22f32\22,\22fan_in\22:4,\22fan_out\22:3,\22init\22:\22glorot_uniform\22,\22kind\22:\22param\22,\22name\22:\22fc.weight\22,\22scale\22:0,\22shape\22:[4,3]},
// CHECK-SAME:      {\22dtype\22:\22f32\22,{{.*}}\22init\22:\22zeros\22,\22kind\22:\22state\22,\22name\22:\22bn.mean\22,{{.*}}\22shape\22:[3]}
// CHECK-SAME:    ]}"
// CHECK-NOT:   nnc.variable
// CHECK-NOT:   func.func @m(
// CHECK:       func.func @m_predict(
// CHECK-NOT:   func.func @m(
module attributes {nnc.model = "m", nnc.train = {batch = 32 : i64, optimizer = {kind = "sgd", lr = 0.5 : f64}, shuffle = true}} {
  nnc.variable @fc.weight param : tensor<4x3xf32> init glorot_uniform {fan_in = 4, fan_out = 3}
  nnc.variable @bn.mean state : tensor<3xf32> init zeros
  func.func @m(%x: tensor<?x4xf32> {nnc.input = "x"}, %t: tensor<?xi32> {nnc.target = "label"}) {
    %w = nnc.load @fc.weight : tensor<4x3xf32>
    %0 = nnc.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    nnc.output "logits" %0 : tensor<?x3xf32>
    %1 = nnc.cross_entropy %0, %t : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    nnc.loss %1 : tensor<f32>
    %2 = nnc.accuracy %0, %t : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    nnc.metric "accuracy" %2 : tensor<f32>
    return
  }
  func.func @m_predict(%w: tensor<4x3xf32> {nnc.variable = "fc.weight"}, %m: tensor<3xf32> {nnc.variable = "bn.mean"},
                       %x: tensor<?x4xf32> {nnc.input = "x"}) -> (tensor<?x3xf32> {nnc.output = "logits"})
      attributes {nnc.entry = "predict"} {
    %0 = nnc.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    return %0 : tensor<?x3xf32>
  }
}

// -----

// A model with no variables, targets, loss, metrics, train block or entry
// points: empty lists, has_loss false, no "train" key. Uniform initializers
// record their scale. Everything is erased, leaving an empty module.

// CHECK-LABEL: module attributes {nnc.description = "{
// CHECK-SAME:    \22abi\22:3,\22device\22:\22cpu\22,\22entries\22:{},\22has_loss\22:false,
// CHECK-SAME:    \22inputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22a\22,\22shape\22:[-1,2,2]},{\22dtype\22:\22i32\22,\22name\22:\22ids\22,\22shape\22:[-1,5]}],
// CHECK-SAME:    \22layers\22:[{{.*}}\22op\22:\22relu\22,\22params\22:0,\22shape\22:[-1,2,2],\22state\22:0}],
// CHECK-SAME:    \22metrics\22:[],\22model\22:\22bare\22,\22normalize\22:[],
// CHECK-SAME:    \22outputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22y\22,\22shape\22:[-1,2,2]}],
// CHECK-SAME:    \22source_hash\22:\22{{[0-9a-f]+}}\22,\22targets\22:[],
// CHECK-SAME:    \22variables\22:[{{.*}}\22init\22:\22uniform\22,{{.*}}\22scale\22:0.05{{[0-9]*}},\22shape\22:[10,3]}]}"
// CHECK-SAME:    nnc.model = "bare"
// CHECK-SAME:    } {
// CHECK-NEXT:  }
module attributes {nnc.model = "bare"} {
  nnc.variable @emb.weight param : tensor<10x3xf32> init uniform {scale = 0.05 : f64}
  func.func @bare(%a: tensor<?x2x2xf32> {nnc.input = "a"}, %ids: tensor<?x5xi32> {nnc.input = "ids"}) {
    %0 = nnc.relu %a : tensor<?x2x2xf32>
    nnc.output "y" %0 : tensor<?x2x2xf32>
    return
  }
}
