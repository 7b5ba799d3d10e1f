//===- FuzzParser.cpp - the .nn lexer and parser alone --------------------===//
//
// Any bytes: the parser returns a module or reports errors (bounded in
// number and nesting), never crashes. One MLIRContext for all inputs (the
// parser builds no IR; its diagnostics are counted and dropped).
//
//===----------------------------------------------------------------------===//
#include "frontend/Parser.h"

#include "mlir/IR/MLIRContext.h"
#include "test/fuzz/FuzzSource.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    auto *c = new mlir::MLIRContext();
    c->getDiagEngine().registerHandler(
        [](mlir::Diagnostic &) { return mlir::success(); });
    return c;
  }();
  llvm::SourceMgr sourceMgr;
  unsigned id = nnc::fuzz::addSource(sourceMgr, data, size);
  nnc::DiagEmitter diag(sourceMgr, id, context);
  nnc::ast::ASTContext ast;
  (void)nnc::parseFile(sourceMgr, id, ast, diag);
  return 0;
}
