//===- Diagnostics.h - errors of the frontend -------------------*- C++ -*-===//
//
// Every user-facing error goes through MLIR's diagnostics with a
// FileLineColLoc; a SourceMgrDiagnosticHandler prints it with the source line
// and a caret. This class turns the frontend's SMLocs into such locations and
// counts errors so that a pathological input stops after a bounded number.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_FRONTEND_DIAGNOSTICS_H
#define NNC_FRONTEND_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/SourceMgr.h"

#include <vector>

namespace nnc {

class DiagEmitter {
public:
  /// At most this many errors are reported; then the frontend stops.
  static constexpr unsigned kMaxErrors = 20;

  /// Registers a handler on `context` (removed on destruction) that counts
  /// every error, however it is emitted (shape rules emit their own), and
  /// notes the block calls being expanded.
  DiagEmitter(llvm::SourceMgr &sourceMgr, unsigned bufferId,
              mlir::MLIRContext *context);
  ~DiagEmitter();
  DiagEmitter(const DiagEmitter &) = delete;
  DiagEmitter &operator=(const DiagEmitter &) = delete;

  /// While a block call is expanded, errors get a note pointing at it.
  void pushCall(llvm::SMLoc at, llvm::StringRef block) {
    calls.push_back({at, block.str()});
  }
  void popCall() { calls.pop_back(); }

  /// The FileLineColLoc of `loc` in the buffer.
  mlir::Location loc(llvm::SMLoc loc);

  /// Emits an error at `loc`; attach notes to the returned diagnostic.
  mlir::InFlightDiagnostic error(llvm::SMLoc loc, const llvm::Twine &message);
  mlir::InFlightDiagnostic error(mlir::Location loc,
                                 const llvm::Twine &message);

  unsigned numErrors() const { return errors; }
  bool hadErrors() const { return errors > 0; }
  /// True once kMaxErrors were reported: callers stop early.
  bool tooMany() const { return errors >= kMaxErrors; }

  mlir::MLIRContext *getContext() const { return context; }
  llvm::StringRef getFilename() const;

private:
  llvm::SourceMgr &sourceMgr;
  unsigned bufferId;
  /// Offsets of the first character of each line (built on first use):
  /// SourceMgr finds a column by scanning back to the line's start, which is
  /// quadratic for the ops of one very long line.
  std::vector<size_t> lineStarts;
  mlir::MLIRContext *context;
  unsigned errors = 0;
  std::vector<std::pair<llvm::SMLoc, std::string>> calls;
  mlir::DiagnosticEngine::HandlerID handler;
};

} // namespace nnc

#endif // NNC_FRONTEND_DIAGNOSTICS_H
