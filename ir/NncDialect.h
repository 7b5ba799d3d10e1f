//===- NncDialect.h - the nnc graph dialect ---------------------*- C++ -*-===//
#ifndef NNC_IR_NNCDIALECT_H
#define NNC_IR_NNCDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "ir/NncDialect.h.inc"
#include "ir/NncEnums.h.inc"

#endif // NNC_IR_NNCDIALECT_H
