//===- ImportExpr.cpp - expressions, calls and blocks ---------------------===//
#include "frontend/Importer.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace nnc;
using llvm::SMLoc;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

SValue Importer::evaluate(const ast::Expr *expr) {
  // Binary operators and pipes nest to the left: walk that spine with a loop
  // so that a 200,000-term expression needs no deep recursion.
  SmallVector<const ast::Expr *> spine;
  const ast::Expr *e = expr;
  while (true) {
    if (e->kind == ast::ExprKind::Binary) {
      spine.push_back(e);
      e = static_cast<const ast::BinaryExpr *>(e)->lhs;
    } else if (e->kind == ast::ExprKind::Call &&
               static_cast<const ast::CallExpr *>(e)->piped) {
      spine.push_back(e);
      e = static_cast<const ast::CallExpr *>(e)->args[0];
    } else {
      break;
    }
  }
  SValue acc = evaluateLeaf(e);
  for (const ast::Expr *node : llvm::reverse(spine)) {
    if (diag.tooMany())
      return SValue::error();
    if (node->kind == ast::ExprKind::Binary) {
      auto *binary = static_cast<const ast::BinaryExpr *>(node);
      SValue rhs = evaluate(binary->rhs);
      acc = combine(binary, std::move(acc), std::move(rhs));
    } else {
      auto *call = static_cast<const ast::CallExpr *>(node);
      acc = acc.ok() ? evaluateCall(call, &acc) : SValue::error();
    }
  }
  return acc;
}

SValue Importer::evaluateWord(const ast::Expr *expr) {
  if (expr->kind == ast::ExprKind::Ident) {
    StringRef name = static_cast<const ast::IdentExpr *>(expr)->name;
    if (!scope->count(name)) {
      SValue v;
      v.kind = SValue::Word;
      v.text = name;
      v.expr = expr;
      return v;
    }
  }
  return evaluate(expr);
}

SValue Importer::evaluateLeaf(const ast::Expr *expr) {
  SValue v;
  v.expr = expr;
  switch (expr->kind) {
  case ast::ExprKind::Number: {
    auto *n = static_cast<const ast::NumberExpr *>(expr);
    if (!std::isfinite(n->value)) {
      diag.error(expr->loc, "number " + n->text + " is out of range");
      return SValue::error();
    }
    v.kind = SValue::Number;
    v.number = n->value;
    v.isInteger = n->isInteger;
    return v;
  }
  case ast::ExprKind::String:
    v.kind = SValue::String;
    v.text = static_cast<const ast::StringExpr *>(expr)->value;
    return v;
  case ast::ExprKind::List: {
    v.kind = SValue::List;
    for (const ast::Expr *element :
         static_cast<const ast::ListExpr *>(expr)->elements) {
      SValue item = evaluate(element);
      if (!item.ok())
        return SValue::error();
      v.list.push_back(std::move(item));
    }
    return v;
  }
  case ast::ExprKind::Ident: {
    StringRef name = static_cast<const ast::IdentExpr *>(expr)->name;
    auto it = scope->find(name);
    if (it != scope->end()) {
      SValue bound = it->second;
      if (bound.ok())
        bound.expr = expr;
      return bound;
    }
    if (isKnownWord(name)) {
      v.kind = SValue::Word;
      v.text = name;
      return v;
    }
    std::vector<StringRef> names;
    for (auto &entry : *scope)
      names.push_back(entry.getKey());
    auto diagnostic = diag.error(expr->loc, "undefined name '" + name + "'" +
                                                didYouMean(name, names));
    if (scope != &topScope && topScope.count(name))
      diagnostic.attachNote()
          << "a block sees only its arguments: pass '" << name
          << "' as an argument";
    return SValue::error();
  }
  case ast::ExprKind::Neg: {
    auto *neg = static_cast<const ast::NegExpr *>(expr);
    return negate(expr, evaluate(neg->operand));
  }
  case ast::ExprKind::Call:
    return evaluateCall(static_cast<const ast::CallExpr *>(expr), nullptr);
  case ast::ExprKind::Binary:
    break;
  }
  return evaluate(expr);
}

Value Importer::constant(double value, Type elementType, SMLoc at) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute attr;
  if (isa<FloatType>(elementType))
    attr = DenseElementsAttr::get(type, builder.getFloatAttr(elementType,
                                                             value));
  else
    attr = DenseElementsAttr::get(
        type, builder.getIntegerAttr(elementType, (int64_t)value));
  return builder.create<ConstantOp>(loc(at), cast<ElementsAttr>(attr));
}

SValue Importer::negate(const ast::Expr *expr, SValue operand) {
  if (!operand.ok())
    return operand;
  if (operand.kind == SValue::Number) {
    operand.number = -operand.number;
    operand.expr = expr;
    return operand;
  }
  if (operand.kind != SValue::Tensor ||
      !isa<FloatType>(operand.type().getElementType())) {
    diag.error(expr->loc, "cannot negate " + describe(operand));
    return SValue::error();
  }
  return SValue::of(builder.create<NegOp>(loc(expr->loc), operand.tensor),
                    expr);
}

static StringRef spellOp(ast::BinaryOp op) {
  switch (op) {
  case ast::BinaryOp::Add: return "+";
  case ast::BinaryOp::Sub: return "-";
  case ast::BinaryOp::Mul: return "*";
  case ast::BinaryOp::Div: return "/";
  case ast::BinaryOp::MatMul: return "@";
  }
  return "?";
}

SValue Importer::combine(const ast::BinaryExpr *expr, SValue lhs, SValue rhs) {
  if (!lhs.ok() || !rhs.ok())
    return SValue::error();
  StringRef op = spellOp(expr->op);
  // Constant arithmetic on numbers.
  if (lhs.kind == SValue::Number && rhs.kind == SValue::Number &&
      expr->op != ast::BinaryOp::MatMul) {
    SValue v = lhs;
    v.expr = expr;
    v.isInteger = lhs.isInteger && rhs.isInteger && expr->op != ast::BinaryOp::Div;
    switch (expr->op) {
    case ast::BinaryOp::Add: v.number = lhs.number + rhs.number; break;
    case ast::BinaryOp::Sub: v.number = lhs.number - rhs.number; break;
    case ast::BinaryOp::Mul: v.number = lhs.number * rhs.number; break;
    case ast::BinaryOp::Div:
      if (rhs.number == 0) {
        diag.error(expr->loc, "division by zero");
        return SValue::error();
      }
      v.number = lhs.number / rhs.number;
      break;
    default: break;
    }
    return v;
  }
  for (SValue *side : {&lhs, &rhs}) {
    bool scalarOk = side->kind == SValue::Number &&
                    expr->op != ast::BinaryOp::MatMul;
    if (side->kind != SValue::Tensor && !scalarOk) {
      diag.error(side->expr ? side->expr->loc : expr->loc,
                 "operand of '" + op + "' must be a tensor" +
                     (expr->op == ast::BinaryOp::MatMul ? "" : " or a number") +
                     ", got " + describe(*side));
      return SValue::error();
    }
    if (side->kind == SValue::Tensor &&
        !isa<FloatType>(side->type().getElementType())) {
      diag.error(side->expr ? side->expr->loc : expr->loc,
                 "'" + op + "' needs float tensors, got " +
                     formatType(side->type()))
              .attachNote()
          << "i32 tensors hold ids and labels; declare features as f32";
      return SValue::error();
    }
  }
  // A number next to a tensor becomes a scalar of the tensor's type.
  Type element = (lhs.kind == SValue::Tensor ? lhs : rhs).type().getElementType();
  Value a = lhs.kind == SValue::Tensor
                ? lhs.tensor
                : constant(lhs.number, element, lhs.expr->loc);
  Value b = rhs.kind == SValue::Tensor
                ? rhs.tensor
                : constant(rhs.number, element, rhs.expr->loc);
  Location at = loc(expr->loc);
  auto ta = cast<RankedTensorType>(a.getType());
  auto tb = cast<RankedTensorType>(b.getType());
  FailureOr<RankedTensorType> type =
      expr->op == ast::BinaryOp::MatMul ? shapes::matmul(at, ta, tb)
                                        : shapes::broadcast(at, ta, tb);
  if (failed(type))
    return SValue::error();
  Value result;
  switch (expr->op) {
  case ast::BinaryOp::Add: result = builder.create<AddOp>(at, *type, a, b); break;
  case ast::BinaryOp::Sub: result = builder.create<SubOp>(at, *type, a, b); break;
  case ast::BinaryOp::Mul: result = builder.create<MulOp>(at, *type, a, b); break;
  case ast::BinaryOp::Div: result = builder.create<DivOp>(at, *type, a, b); break;
  case ast::BinaryOp::MatMul:
    result = builder.create<MatmulOp>(at, *type, a, b);
    break;
  }
  return SValue::of(result, expr);
}

//===----------------------------------------------------------------------===//
// Calls and blocks
//===----------------------------------------------------------------------===//

SValue Importer::evaluateCall(const ast::CallExpr *call, SValue *piped) {
  auto block = blocks.find(call->callee);
  if (block != blocks.end())
    return callBlock(call, block->second, piped);
  if (const OpSpec *spec = lookupOp(call->callee))
    return importBuiltin(*this, call, *spec, piped);
  StringRef name = call->callee;
  if (llvm::is_contained({"normal", "uniform"}, name)) {
    diag.error(call->loc, "'" + name + "' is an initializer: use it as "
                                       "init=" +
                              name + "(...) of a layer or param");
  } else if (llvm::is_contained({"sgd", "adam", "adamw"}, name)) {
    diag.error(call->loc, "'" + name + "' is an optimizer: use it as "
                                       "'optimizer = " +
                              name + "(...)' in the train block");
  } else {
    std::vector<StringRef> names = allOpNames();
    for (auto &entry : blocks)
      names.push_back(entry.getKey());
    diag.error(call->loc, "unknown operation '" + name + "'" +
                              didYouMean(name, names));
  }
  return SValue::error();
}

SValue Importer::callBlock(const ast::CallExpr *call,
                           const ast::BlockStmt *block, SValue *piped) {
  if (llvm::is_contained(blockStack, block)) {
    std::string cycle;
    for (const ast::BlockStmt *b : blockStack)
      cycle += b->name.str() + " -> ";
    diag.error(call->loc, "recursive block: " + cycle + block->name.str())
            .attachNote(loc(block->nameLoc))
        << "blocks may call blocks, but not themselves";
    return SValue::error();
  }
  size_t expected = block->params.size();
  size_t given = call->args.size() + call->named.size();
  std::string paramList;
  for (const ast::BlockParam &p : block->params)
    paramList += (paramList.empty() ? "" : ", ") + p.name.str();
  if (given != expected) {
    diag.error(call->loc, "block '" + block->name + "' takes " +
                              llvm::Twine(expected) + " argument" +
                              (expected == 1 ? "" : "s") + " (" + paramList +
                              "), got " + llvm::Twine(given));
    return SValue::error();
  }
  // Bind the arguments, evaluated in the caller's scope.
  std::vector<std::optional<SValue>> values(expected);
  for (size_t i = 0; i < call->args.size(); ++i) {
    values[i] = (i == 0 && piped) ? *piped : evaluate(call->args[i]);
  }
  for (const ast::NamedArg &arg : call->named) {
    auto it = llvm::find_if(block->params, [&](const ast::BlockParam &p) {
      return p.name == arg.name;
    });
    if (it == block->params.end()) {
      std::vector<StringRef> names;
      for (const ast::BlockParam &p : block->params)
        names.push_back(p.name);
      diag.error(arg.loc, "block '" + block->name + "' has no argument '" +
                              arg.name + "' (it takes " + paramList + ")" +
                              didYouMean(arg.name, names));
      return SValue::error();
    }
    size_t index = it - block->params.begin();
    if (values[index]) {
      diag.error(arg.loc, "argument '" + arg.name + "' is given twice");
      return SValue::error();
    }
    values[index] = evaluate(arg.value);
  }
  Scope inner;
  for (size_t i = 0; i < expected; ++i) {
    if (!values[i]->ok())
      return SValue::error();
    inner[block->params[i].name] = *values[i];
  }

  // Names created inside get the caller's binding as prefix.
  std::string prefix = blockPrefix;
  if (blockCreatesParams(block)) {
    beginCreatingCall(block->name);
    prefix = callPrefix;
  }
  Scope *savedScope = scope;
  llvm::StringMap<unsigned> innerRebinds, *savedRebinds = rebinds;
  Naming *savedNaming = naming;
  std::string savedPrefix = blockPrefix;
  scope = &inner;
  rebinds = &innerRebinds;
  blockPrefix = prefix;
  blockStack.push_back(block);
  calledBlocks.insert(block);
  diag.pushCall(call->loc, block->name);

  SValue result = SValue::error();
  for (const ast::Stmt *stmt : block->body) {
    if (diag.tooMany())
      break;
    if (stmt->kind == ast::StmtKind::Param) {
      importParam(static_cast<const ast::DeclStmt *>(stmt));
      continue;
    }
    auto *assign = static_cast<const ast::AssignStmt *>(stmt);
    if (stmt->kind == ast::StmtKind::Return) {
      result = evaluateBinding(assign, "out");
      break;
    }
    (*scope)[assign->name] = evaluateBinding(assign, assign->name);
  }

  diag.popCall();
  blockStack.pop_back();
  scope = savedScope;
  rebinds = savedRebinds;
  naming = savedNaming;
  blockPrefix = savedPrefix;
  if (result.ok())
    result.expr = call;
  return result;
}

/// Calls `fn` on every call in `expr`, without recursion.
static void forEachCall(const ast::Expr *expr,
                        llvm::function_ref<void(const ast::CallExpr *)> fn) {
  SmallVector<const ast::Expr *> worklist{expr};
  while (!worklist.empty()) {
    const ast::Expr *e = worklist.pop_back_val();
    switch (e->kind) {
    case ast::ExprKind::Binary: {
      auto *b = static_cast<const ast::BinaryExpr *>(e);
      worklist.push_back(b->lhs);
      worklist.push_back(b->rhs);
      break;
    }
    case ast::ExprKind::Neg:
      worklist.push_back(static_cast<const ast::NegExpr *>(e)->operand);
      break;
    case ast::ExprKind::List:
      for (const ast::Expr *x : static_cast<const ast::ListExpr *>(e)->elements)
        worklist.push_back(x);
      break;
    case ast::ExprKind::Call: {
      auto *call = static_cast<const ast::CallExpr *>(e);
      fn(call);
      for (const ast::Expr *x : call->args)
        worklist.push_back(x);
      for (const ast::NamedArg &x : call->named)
        worklist.push_back(x.value);
      break;
    }
    default:
      break;
    }
  }
}

/// The expressions of a block's statements (params have their init).
static SmallVector<const ast::Expr *> bodyExprs(const ast::BlockStmt *block) {
  SmallVector<const ast::Expr *> exprs;
  for (const ast::Stmt *stmt : block->body) {
    if (stmt->kind == ast::StmtKind::Param) {
      if (auto *init = static_cast<const ast::DeclStmt *>(stmt)->init)
        exprs.push_back(init);
    } else {
      exprs.push_back(static_cast<const ast::AssignStmt *>(stmt)->value);
    }
  }
  return exprs;
}

void Importer::checkUncalledBlocks() {
  // A block that is never called is never expanded: check what can be
  // checked without arguments, its operations and recursion.
  llvm::DenseSet<const ast::BlockStmt *> reported;
  for (const ast::BlockStmt *block : blockOrder) {
    if (calledBlocks.contains(block) || diag.tooMany())
      continue;
    for (const ast::Expr *e : bodyExprs(block)) {
      forEachCall(e, [&](const ast::CallExpr *call) {
        StringRef name = call->callee;
        if (blocks.count(name) || lookupOp(name) ||
            llvm::is_contained({"normal", "uniform"}, name))
          return;
        std::vector<StringRef> names = allOpNames();
        for (const ast::BlockStmt *b : blockOrder)
          names.push_back(b->name);
        diag.error(call->loc, "unknown operation '" + name + "'" +
                                  didYouMean(name, names));
      });
    }
    if (reported.contains(block))
      continue;
    // Depth-first search for a path back to `block`.
    SmallVector<const ast::BlockStmt *> path{block};
    std::function<bool(const ast::BlockStmt *, const ast::CallExpr **)>
        reaches = [&](const ast::BlockStmt *from,
                      const ast::CallExpr **site) -> bool {
      bool found = false;
      for (const ast::Expr *e : bodyExprs(from)) {
        forEachCall(e, [&](const ast::CallExpr *call) {
          auto it = blocks.find(call->callee);
          if (found || it == blocks.end())
            return;
          if (it->second == block) {
            found = true;
            if (!*site)
              *site = call;
            return;
          }
          if (llvm::is_contained(path, it->second))
            return;
          path.push_back(it->second);
          if (reaches(it->second, site)) {
            found = true;
            if (!*site)
              *site = call;
            return;
          }
          path.pop_back();
        });
        if (found)
          return true;
      }
      return false;
    };
    const ast::CallExpr *site = nullptr;
    if (reaches(block, &site)) {
      std::string cycle;
      for (const ast::BlockStmt *b : path) {
        cycle += b->name.str() + " -> ";
        reported.insert(b);
      }
      diag.error(site->loc, "recursive block: " + cycle + block->name.str())
              .attachNote(loc(block->nameLoc))
          << "blocks may call blocks, but not themselves";
    }
  }
}

unsigned Importer::countCreatingCalls(const ast::Expr *expr) {
  unsigned count = 0;
  forEachCall(expr, [&](const ast::CallExpr *call) {
    const OpSpec *spec = lookupOp(call->callee);
    auto block = blocks.find(call->callee);
    if ((spec && spec->createsParams) ||
        (!spec && block != blocks.end() && blockCreatesParams(block->second)))
      ++count;
  });
  return count;
}

bool Importer::blockCreatesParams(const ast::BlockStmt *block) {
  auto [it, inserted] = blockCreates.try_emplace(block, -1);
  if (!inserted)
    return it->second == 1; // known, or in progress (a cycle: reported later)
  bool creates = false;
  for (const ast::Stmt *stmt : block->body) {
    if (stmt->kind == ast::StmtKind::Param ||
        (stmt->kind != ast::StmtKind::Param &&
         countCreatingCalls(
             static_cast<const ast::AssignStmt *>(stmt)->value) > 0)) {
      creates = true;
      break;
    }
  }
  blockCreates[block] = creates ? 1 : 0;
  return creates;
}
