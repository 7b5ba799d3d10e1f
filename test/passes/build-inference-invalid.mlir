// RUN: nnc-opt %s -nnc-build-inference -verify-diagnostics

// Hand-written IR whose output reads a target cannot run without targets.

module attributes {nnc.model = "t"} {
  func.func @t(%x: tensor<?x2xf32> {nnc.input = "x"}, %y: tensor<?x2xf32> {nnc.target = "y"}) {
    %0 = nnc.add %x, %y : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
    // expected-error @+1 {{output 'o' depends on a target: inference has no targets}}
    nnc.output "o" %0 : tensor<?x2xf32>
    return
  }
}
