//===- FrontendTest.cpp - robustness of the .nn frontend ------------------===//
//
// The frontend must never crash, hang or blow the stack: random bytes,
// random mutations of real models, deep nesting and very long expressions
// all end in a clear error or a correct graph, in bounded time.
//
//===----------------------------------------------------------------------===//
#include "frontend/ImportGraph.h"
#include "ir/NncOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "gtest/gtest.h"

#include <fstream>
#include <random>
#include <sstream>

using namespace mlir;

namespace {

/// Compiles `source`; returns the module (null on errors) and counts errors.
struct Result {
  bool ok;
  unsigned errors;
  unsigned ops;
};

Result compile(const std::string &source) {
  MLIRContext context;
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, "test.nn"), llvm::SMLoc());
  unsigned errors = 0;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errors;
    return success();
  });
  OwningOpRef<ModuleOp> module =
      nnc::importModel(sourceMgr, sourceMgr.getMainFileID(), &context);
  unsigned ops = 0;
  if (module)
    module->walk([&](Operation *) { ++ops; });
  return {static_cast<bool>(module), errors, ops};
}

std::string readExample(const std::string &name) {
  std::ifstream in(std::string(NNC_EXAMPLES_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Frontend, ExamplesCompile) {
  for (const char *name :
       {"mlp.nn", "cnn.nn", "residual.nn", "tabular.nn", "regression.nn"}) {
    Result r = compile(readExample(name));
    EXPECT_TRUE(r.ok) << name;
    EXPECT_EQ(r.errors, 0u) << name;
  }
}

TEST(Frontend, RandomBytesNeverCrash) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    std::string source(1 + rng() % 2000, '\0');
    for (char &c : source)
      c = static_cast<char>(rng());
    Result r = compile(source);
    EXPECT_FALSE(r.ok);
    EXPECT_GE(r.errors, 1u);
    EXPECT_LE(r.errors, 21u); // stops after a bounded number
  }
}

TEST(Frontend, MutatedModelsNeverCrash) {
  // Byte edits of real models reach deeper into the checks than noise.
  std::mt19937 rng(42);
  const std::string alphabet = "()[]{},:=+-*/@|>#\"\n .0123456789abcxyz_";
  for (const char *name : {"mlp.nn", "cnn.nn", "residual.nn", "tabular.nn"}) {
    std::string base = readExample(name);
    for (int i = 0; i < 150; ++i) {
      std::string source = base;
      int edits = 1 + rng() % 4;
      for (int e = 0; e < edits; ++e) {
        size_t at = rng() % source.size();
        switch (rng() % 3) {
        case 0: source[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: source.erase(at, 1 + rng() % 8); break;
        default: source.insert(at, 1, alphabet[rng() % alphabet.size()]);
        }
      }
      Result r = compile(source);
      // Either a verified graph or at least one error, never both.
      EXPECT_EQ(r.ok, r.errors == 0) << source;
    }
  }
}

TEST(Frontend, DeepNestingIsAnError) {
  std::string source = "model m\ninput x: f32[batch, 4]\noutput y = " +
                       std::string(10000, '(') + "x" +
                       std::string(10000, ')') + "\n";
  Result r = compile(source);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.errors, 1u);
}

TEST(Frontend, UnclosedNestingIsBounded) {
  std::string source =
      "model m\ninput x: f32[batch, 4]\noutput y = " + std::string(10000, '[');
  Result r = compile(source);
  EXPECT_FALSE(r.ok);
  EXPECT_LE(r.errors, 21u);
}

TEST(Frontend, LongExpressionCompiles) {
  std::string source = "model m\ninput x: f32[batch, 4]\noutput y = x";
  for (int i = 1; i < 200000; ++i)
    source += " + x";
  source += "\n";
  Result r = compile(source);
  EXPECT_TRUE(r.ok);
  // One add per '+', plus the output, return, function and module.
  EXPECT_EQ(r.ops, 199999u + 4u);
}

TEST(Frontend, LongPipeChainCompiles) {
  std::string source = "model m\ninput x: f32[batch, 4]\noutput y = x";
  for (int i = 0; i < 200000; ++i)
    source += " |> relu";
  source += "\n";
  Result r = compile(source);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.ops, 200000u + 4u);
}

TEST(Frontend, ManyUnaryMinusesFold) {
  std::string source = "model m\ninput x: f32[batch, 4]\noutput y = " +
                       std::string(200001, '-') + "x\n";
  Result r = compile(source);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.ops, 1u + 4u); // one neg
}

} // namespace
