//===- Formats.h - the file formats of data sets ----------------*- C++ -*-===//
#ifndef NNC_RUNTIME_MAIN_FORMATS_H
#define NNC_RUNTIME_MAIN_FORMATS_H

#include "runtime/main/Data.h"

namespace nnc::exe {

/// Reads an IDX file (gzip or plain): its first dimension counts the
/// samples, the others must hold `spec.width` elements.
Field readIdx(const std::string &path, const FieldSpec &spec);

/// Reads a CSV file with a header row: the column named `y->name` into
/// labels if `labels` (else it is left out), the other numeric columns into
/// features. A column whose first value is not a number is text, left out.
/// `y` may be null (a model without targets) if not `labels`.
Split readCsv(const std::string &path, const FieldSpec &x, const FieldSpec *y,
              bool labels);

/// Whether `path` names a CSV file (.csv or .csv.gz).
bool isCsv(const std::string &path);

} // namespace nnc::exe

#endif // NNC_RUNTIME_MAIN_FORMATS_H
