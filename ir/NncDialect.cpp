//===- NncDialect.cpp - the nnc graph dialect -----------------------------===//
#include "ir/NncDialect.h"
#include "ir/NncOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace nnc;

#include "ir/NncDialect.cpp.inc"
#include "ir/NncInterfaces.cpp.inc"
#include "ir/NncEnums.cpp.inc"

void NncDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/NncOps.cpp.inc"
      >();
}

Operation *NncDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}
