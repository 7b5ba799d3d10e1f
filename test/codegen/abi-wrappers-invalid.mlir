// RUN: nnc-opt %s -split-input-file -verify-diagnostics -nnc-abi-wrappers

// An entry point that still returns its result (buffer-results-to-out-params
// has not run) is refused.

module attributes {nnc.model = "m", nnc.description = "{}"} {
  // expected-error @+1 {{an entry point must take identity-layout memrefs and return nothing (run after bufferization and buffer-results-to-out-params)}}
  func.func @m_predict(%x: memref<?x4xf32>) -> memref<?x4xf32> attributes {nnc.entry = "predict"} {
    return %x : memref<?x4xf32>
  }
}

// -----

// So is one that still takes tensors (not bufferized).

module attributes {nnc.model = "m", nnc.description = "{}"} {
  // expected-error @+1 {{an entry point must take identity-layout memrefs}}
  func.func @m_predict(%x: tensor<?x4xf32>) attributes {nnc.entry = "predict"} {
    return
  }
}

// -----

// And one whose memref has a strided layout: the wrapper only builds
// row-major descriptors.

module attributes {nnc.model = "m", nnc.description = "{}"} {
  // expected-error @+1 {{an entry point must take identity-layout memrefs}}
  func.func @m_predict(%x: memref<?x4xf32, strided<[8, 1]>>) attributes {nnc.entry = "predict"} {
    return
  }
}

// -----

// The module must carry the model's name and description.

// expected-error @+1 {{the module has no nnc.model / nnc.description}}
module attributes {nnc.model = "m"} {
  func.func @m_predict(%x: memref<?x4xf32>) attributes {nnc.entry = "predict"} {
    return
  }
}
