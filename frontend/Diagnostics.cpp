//===- Diagnostics.cpp - errors of the frontend ---------------------------===//
#include "frontend/Diagnostics.h"

#include "mlir/IR/MLIRContext.h"

using namespace nnc;

llvm::StringRef DiagEmitter::getFilename() const {
  return sourceMgr.getMemoryBuffer(bufferId)->getBufferIdentifier();
}

mlir::Location DiagEmitter::loc(llvm::SMLoc loc) {
  if (!loc.isValid())
    return mlir::FileLineColLoc::get(context, getFilename(), 1, 1);
  llvm::StringRef buffer = sourceMgr.getMemoryBuffer(bufferId)->getBuffer();
  if (lineStarts.empty()) {
    lineStarts.push_back(0);
    for (size_t i = 0; i < buffer.size(); ++i)
      if (buffer[i] == '\n')
        lineStarts.push_back(i + 1);
  }
  size_t offset = loc.getPointer() - buffer.data();
  auto it = std::upper_bound(lineStarts.begin(), lineStarts.end(), offset);
  unsigned line = it - lineStarts.begin();
  unsigned col = offset - *(it - 1) + 1;
  return mlir::FileLineColLoc::get(context, getFilename(), line, col);
}

mlir::InFlightDiagnostic DiagEmitter::error(llvm::SMLoc at,
                                            const llvm::Twine &message) {
  return error(loc(at), message);
}

mlir::InFlightDiagnostic DiagEmitter::error(mlir::Location at,
                                            const llvm::Twine &message) {
  return mlir::emitError(at, message);
}

DiagEmitter::DiagEmitter(llvm::SourceMgr &sourceMgr, unsigned bufferId,
                         mlir::MLIRContext *context)
    : sourceMgr(sourceMgr), bufferId(bufferId), context(context) {
  handler = context->getDiagEngine().registerHandler(
      [this](mlir::Diagnostic &diag) {
        if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
          return mlir::failure();
        ++errors;
        for (auto &[at, block] : llvm::reverse(calls))
          diag.attachNote(loc(at)) << "in block '" << block << "' called here";
        if (errors == kMaxErrors)
          diag.attachNote() << "too many errors; stopping here";
        return mlir::failure(); // on to the printing handler
      });
}

DiagEmitter::~DiagEmitter() {
  context->getDiagEngine().eraseHandler(handler);
}
