//===- ImportGraph.cpp - from .nn source to the nnc dialect ---------------===//
//
// Semantic analysis and IR construction in one walk over the statements:
// names are resolved in scopes (one per block call), blocks are expanded
// inline, parameters are named by the rule of language.md, and every op is
// built with its inferred type and the FileLineColLoc of its source.
//
//===----------------------------------------------------------------------===//
#include "frontend/ImportGraph.h"
#include "frontend/Importer.h"
#include "frontend/Parser.h"

#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace nnc;
using llvm::SMLoc;
using llvm::StringRef;

std::string nnc::formatNumber(double value) {
  char buffer[64];
  if (value == std::floor(value) && std::abs(value) < 1e18)
    snprintf(buffer, sizeof(buffer), "%.0f", value);
  else
    snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

std::string nnc::describe(const SValue &v) {
  switch (v.kind) {
  case SValue::Tensor: return "a tensor " + formatType(v.tensor.getType());
  case SValue::Number: return "the number " + formatNumber(v.number);
  case SValue::String: return "a string";
  case SValue::Word: return "'" + v.text.str() + "'";
  case SValue::List: return "a list";
  case SValue::Call: return "a call";
  case SValue::Error: return "an invalid value";
  }
  return "a value";
}

Importer::Importer(DiagEmitter &diag, ModuleOp module)
    : diag(diag), builder(module.getContext()), module(module),
      moduleBuilder(module.getContext()) {
  scope = &topScope;
  rebinds = &topRebinds;
}

//===----------------------------------------------------------------------===//
// Module structure
//===----------------------------------------------------------------------===//

void Importer::collectBlocks(const ast::Module &ast) {
  for (const ast::Stmt *stmt : ast.stmts) {
    if (stmt->kind != ast::StmtKind::Block)
      continue;
    auto *block = static_cast<const ast::BlockStmt *>(stmt);
    if (lookupOp(block->name)) {
      diag.error(block->nameLoc, "block '" + block->name +
                                     "' has the name of a built-in operation");
      continue;
    }
    auto [it, inserted] = blocks.try_emplace(block->name, block);
    if (inserted)
      blockOrder.push_back(block);
    else
      diag.error(block->nameLoc, "block '" + block->name + "' is defined twice")
              .attachNote(loc(it->second->nameLoc))
          << "first defined here";
  }
}

RankedTensorType Importer::convertType(const ast::TypeSpec &type,
                                       bool allowBatch) {
  Type element = llvm::StringSwitch<Type>(type.dtype)
                     .Case("f32", builder.getF32Type())
                     .Case("f64", builder.getF64Type())
                     .Case("i32", builder.getI32Type())
                     .Default(Type());
  if (!element) {
    // Integer spellings suggest i32, float ones f32, whatever the distance.
    std::string hint = didYouMean(type.dtype, {"f32", "f64", "i32"});
    if (type.dtype.starts_with("i") || type.dtype.starts_with("u") ||
        type.dtype.starts_with("int"))
      hint = "; did you mean 'i32'?";
    else if (type.dtype.starts_with("f") || type.dtype.starts_with("bf"))
      hint = type.dtype.contains("64") ? "; did you mean 'f64'?"
                                       : "; did you mean 'f32'?";
    diag.error(type.loc, "unknown element type '" + type.dtype +
                             "'; expected f32, f64 or i32" + hint);
    return {};
  }
  constexpr int64_t kMaxDim = 2147483647;
  SmallVector<int64_t> shape;
  int64_t elements = 1;
  for (auto [i, dim] : llvm::enumerate(type.dims)) {
    if (!dim.name.empty()) {
      if (!allowBatch) {
        diag.error(dim.loc, "a param has a fixed shape: '" + dim.name +
                                "' is not a size");
        return {};
      }
      if (i != 0) {
        diag.error(dim.loc, "the batch dimension '" + dim.name +
                                "' must be the first dimension");
        return {};
      }
      if (batchName.empty()) {
        batchName = dim.name;
        batchLoc = dim.loc;
      } else if (batchName != dim.name) {
        diag.error(dim.loc, "a model uses one batch dimension name at most: "
                            "got '" +
                                dim.name + "' after '" + batchName + "'")
                .attachNote(loc(batchLoc))
            << "'" << batchName << "' is first used here";
        return {};
      }
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    uint64_t size;
    if (dim.text.find_first_of(".eE") != StringRef::npos) {
      diag.error(dim.loc, "a dimension must be a positive integer, got " +
                              dim.text);
      return {};
    }
    if (dim.text.getAsInteger(10, size) || size > (uint64_t)kMaxDim) {
      diag.error(dim.loc, "dimension " + dim.text +
                              " is too large (the largest is 2147483647)");
      return {};
    }
    if (size == 0) {
      diag.error(dim.loc, "dimensions must be positive, got 0");
      return {};
    }
    if (elements > kMaxDim / (int64_t)size) {
      diag.error(dim.loc, "the tensor has too many elements per sample "
                          "(the most is 2147483647)");
      return {};
    }
    elements *= size;
    shape.push_back(size);
  }
  return RankedTensorType::get(shape, element);
}

func::FuncOp Importer::createGraphFunction(const ast::Module &ast,
                                           StringRef modelName) {
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<const ast::DeclStmt *> decls;
  llvm::StringMap<SMLoc> seen;
  for (const ast::Stmt *stmt : ast.stmts) {
    if (stmt->kind != ast::StmtKind::Input &&
        stmt->kind != ast::StmtKind::Target)
      continue;
    auto *decl = static_cast<const ast::DeclStmt *>(stmt);
    auto [it, inserted] = seen.try_emplace(decl->name, decl->nameLoc);
    if (!inserted) {
      diag.error(decl->nameLoc, "'" + decl->name + "' is declared twice")
              .attachNote(loc(it->second))
          << "first declared here";
      continue;
    }
    RankedTensorType type = convertType(decl->type, /*allowBatch=*/true);
    if (!type)
      continue;
    bool isInput = stmt->kind == ast::StmtKind::Input;
    argTypes.push_back(type);
    argAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
        isInput ? kInputAttr : kTargetAttr, builder.getStringAttr(decl->name))));
    decls.push_back(decl);
  }
  builder.setInsertionPointToEnd(module.getBody());
  auto func = builder.create<func::FuncOp>(
      modelStmt ? loc(modelStmt->loc) : loc(SMLoc()), modelName,
      builder.getFunctionType(argTypes, {}));
  func.setAllArgAttrs(argAttrs);
  Block *entry = func.addEntryBlock();
  for (auto [decl, arg] : llvm::zip(decls, entry->getArguments())) {
    arg.setLoc(loc(decl->nameLoc));
    SValue v = SValue::of(arg, nullptr);
    v.isInput = decl->kind == ast::StmtKind::Input;
    // Bound when the declaration is reached (see importStatement).
    pendingArgs[decl] = v;
  }
  builder.setInsertionPointToStart(entry);
  moduleBuilder.setInsertionPoint(func);
  return func;
}

void Importer::importModule(const ast::Module &ast) {
  StringRef modelName = "model";
  auto firstModel = llvm::find_if(ast.stmts, [](const ast::Stmt *s) {
    return s->kind == ast::StmtKind::Model;
  });
  if (firstModel == ast.stmts.end()) {
    SMLoc at = ast.stmts.empty() ? SMLoc() : ast.stmts.front()->loc;
    diag.error(at, "missing 'model' line: a .nn file starts with "
                   "'model NAME'");
  } else {
    modelStmt = *firstModel;
    modelName = static_cast<const ast::ModelStmt *>(modelStmt)->name;
    if (firstModel != ast.stmts.begin())
      diag.error(modelStmt->loc, "the 'model' line must be the first "
                                 "statement of the file");
  }
  module->setAttr(kModelAttr, builder.getStringAttr(modelName));
  collectBlocks(ast);
  graph = createGraphFunction(ast, modelName);
  importTrain(nullptr); // the defaults, overridden by a train block

  for (const ast::Stmt *stmt : ast.stmts) {
    if (diag.tooMany())
      return;
    if (stmt != modelStmt)
      importStatement(stmt);
  }
  if (diag.tooMany())
    return;
  builder.setInsertionPointToEnd(&graph.getBody().front());
  builder.create<func::ReturnOp>(graph.getLoc());

  bool hasInput = llvm::any_of(graph.getArguments(), [&](BlockArgument a) {
    return graph.getArgAttr(a.getArgNumber(), kInputAttr) != nullptr;
  });
  SMLoc modelLoc = modelStmt ? modelStmt->loc : SMLoc();
  if (!hasInput && !diag.hadErrors())
    diag.error(modelLoc, "the model has no 'input': declare one, e.g. "
                         "'input x: f32[batch, 784]'");
  if (numOutputs == 0 && !diag.hadErrors())
    diag.error(modelLoc, "the model has no 'output': mark what inference "
                         "returns, e.g. 'output probs = softmax(logits)'");
  if (trainStmt && !lossStmt)
    diag.error(trainStmt->loc, "a model with a train block needs a 'loss'");
  checkOutputsIndependentOfTargets();
  checkUncalledBlocks();
}

void Importer::checkOutputsIndependentOfTargets() {
  graph.walk([&](OutputOp output) {
    llvm::DenseSet<Value> visited;
    SmallVector<Value> worklist{output.getValue()};
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      if (!visited.insert(v).second)
        continue;
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        if (auto name = graph.getArgAttrOfType<StringAttr>(
                arg.getArgNumber(), kTargetAttr)) {
          diag.error(output.getLoc(), "output '" + output.getName() +
                                          "' depends on target '" +
                                          name.getValue() +
                                          "': targets feed only the loss "
                                          "and metrics");
          return;
        }
        continue;
      }
      for (Value operand : v.getDefiningOp()->getOperands())
        worklist.push_back(operand);
    }
  });
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

void Importer::importStatement(const ast::Stmt *stmt) {
  switch (stmt->kind) {
  case ast::StmtKind::Model:
    if (stmt == modelStmt)
      return;
    diag.error(stmt->loc, "a file has one 'model' line")
            .attachNote(loc(modelStmt ? modelStmt->loc : SMLoc()))
        << "the model is named here";
    return;
  case ast::StmtKind::Input:
  case ast::StmtKind::Target: {
    auto *decl = static_cast<const ast::DeclStmt *>(stmt);
    auto it = pendingArgs.find(decl);
    if (it == pendingArgs.end()) {
      // Its declaration had an error: later uses stay silent.
      scope->try_emplace(decl->name, SValue::error());
      return;
    }
    if (scope->count(decl->name)) {
      diag.error(decl->nameLoc, "'" + decl->name + "' is already defined");
      return;
    }
    (*scope)[decl->name] = it->second;
    return;
  }
  case ast::StmtKind::Param:
    importParam(static_cast<const ast::DeclStmt *>(stmt));
    return;
  case ast::StmtKind::Block:
    return; // expanded where called
  case ast::StmtKind::Return:
    diag.error(stmt->loc, "'return' outside a block");
    return;
  case ast::StmtKind::Train:
    if (trainStmt) {
      diag.error(stmt->loc, "a file has one train block")
              .attachNote(loc(trainStmt->loc))
          << "the first one is here";
      return;
    }
    trainStmt = stmt;
    importTrain(static_cast<const ast::TrainStmt *>(stmt));
    return;
  case ast::StmtKind::Assign:
  case ast::StmtKind::Output:
  case ast::StmtKind::Loss:
  case ast::StmtKind::Metric:
    break;
  }

  auto *assign = static_cast<const ast::AssignStmt *>(stmt);
  if (stmt->kind == ast::StmtKind::Loss) {
    if (lossStmt) {
      diag.error(stmt->loc, "a model has one loss")
              .attachNote(loc(lossStmt->loc))
          << "the first loss is here";
      return;
    }
    lossStmt = stmt;
  } else if (stmt->kind == ast::StmtKind::Metric) {
    auto [it, inserted] =
        metricNames.try_emplace(assign->name, assign->nameLoc);
    if (!inserted) {
      diag.error(assign->nameLoc, "metric '" + assign->name +
                                      "' is defined twice")
              .attachNote(loc(it->second))
          << "first defined here";
      return;
    }
  }
  SValue value = evaluateBinding(assign, assign->name);
  if (stmt->kind == ast::StmtKind::Assign || !value.ok()) {
    (*scope)[assign->name] = value;
    return;
  }
  Location at = loc(assign->nameLoc);
  if (value.kind != SValue::Tensor) {
    diag.error(assign->value->loc,
               "expected a tensor here, got " + describe(value));
    return;
  }
  RankedTensorType type = value.type();
  switch (stmt->kind) {
  case ast::StmtKind::Output: {
    auto [it, inserted] = outputNames.try_emplace(assign->name, assign->nameLoc);
    if (!inserted) {
      diag.error(assign->nameLoc, "output '" + assign->name +
                                      "' is defined twice");
      return;
    }
    builder.create<OutputOp>(at, assign->name, value.tensor);
    ++numOutputs;
    break;
  }
  case ast::StmtKind::Loss:
    if (type.getRank() != 0 || !isa<FloatType>(type.getElementType())) {
      diag.error(assign->value->loc,
                 "the loss must be a float scalar, got " + formatType(type))
              .attachNote()
          << "reduce it to one number, e.g. with mean(...)";
      return;
    }
    builder.create<LossOp>(at, value.tensor);
    break;
  case ast::StmtKind::Metric:
    if (type.getRank() != 0 || !isa<FloatType>(type.getElementType())) {
      diag.error(assign->value->loc, "metric '" + assign->name +
                                         "' must be a float scalar, got " +
                                         formatType(type))
              .attachNote()
          << "reduce it to one number, e.g. with mean(...)";
      return;
    }
    builder.create<MetricOp>(at, assign->name, value.tensor);
    break;
  default:
    break;
  }
  (*scope)[assign->name] = value;
}

SValue Importer::evaluateBinding(const ast::AssignStmt *stmt, StringRef name) {
  Naming local;
  local.prefix = blockPrefix;
  unsigned creating = countCreatingCalls(stmt->value);
  if (creating > 0) {
    unsigned k = ++(*rebinds)[name];
    local.binding = k == 1 ? name.str() : (name + "_" + llvm::Twine(k)).str();
    local.multi = creating > 1;
  }
  Naming *saved = naming;
  naming = &local;
  SValue value = evaluate(stmt->value);
  naming = saved;
  return value;
}

static void computeFans(ArrayRef<int64_t> shape, int64_t &fanIn,
                        int64_t &fanOut) {
  // Keras's rule: the last two dims are (in, out), earlier ones the field.
  if (shape.empty()) {
    fanIn = fanOut = 1;
  } else if (shape.size() == 1) {
    fanIn = fanOut = shape[0];
  } else {
    int64_t field = 1;
    for (int64_t d : shape.drop_back(2))
      field *= d;
    fanIn = shape[shape.size() - 2] * field;
    fanOut = shape.back() * field;
  }
}

void Importer::beginCreatingCall(StringRef op) {
  if (!naming) {
    callPrefix = (blockPrefix + op + ".").str();
    return;
  }
  std::string prefix = naming->prefix + naming->binding;
  if (naming->multi)
    prefix += "." + op.str() + std::to_string(++naming->calls[op]);
  callPrefix = prefix + ".";
}

Value Importer::createVariable(const ast::CallExpr *call, StringRef param,
                               VariableKind kind, RankedTensorType type,
                               InitKind init, double scale,
                               StringRef explicitName) {
  std::string name = explicitName.empty()
                         ? callPrefix + param.str()
                         : blockPrefix + explicitName.str() + "." + param.str();
  SMLoc at = call ? call->loc : SMLoc();
  return declareVariable(name, at, kind, type, init, scale);
}

Value Importer::declareVariable(StringRef name, SMLoc at, VariableKind kind,
                                RankedTensorType type, InitKind init,
                                double scale) {
  auto [it, inserted] = variableNames.try_emplace(name, at);
  if (!inserted) {
    diag.error(at, "parameter name '" + name + "' is already used")
            .attachNote(loc(it->second))
        << "'" << name << "' is created here";
    return {};
  }
  int64_t fanIn, fanOut;
  computeFans(type.getShape(), fanIn, fanOut);
  moduleBuilder.create<VariableOp>(
      loc(at), builder.getStringAttr(name),
      VariableKindAttr::get(builder.getContext(), kind), TypeAttr::get(type),
      InitKindAttr::get(builder.getContext(), init),
      builder.getF64FloatAttr(scale), builder.getI64IntegerAttr(fanIn),
      builder.getI64IntegerAttr(fanOut));
  return builder.create<LoadOp>(loc(at), type, name);
}

void Importer::importParam(const ast::DeclStmt *decl) {
  RankedTensorType type = convertType(decl->type, /*allowBatch=*/false);
  if (!type)
    return;
  if (!isa<FloatType>(type.getElementType())) {
    diag.error(decl->type.loc, "a param must be f32 or f64, got " +
                                   formatType(type));
    return;
  }
  InitKind init = InitKind::glorot_uniform;
  double scale = 0;
  if (decl->init && !parseInit(decl->init, init, scale))
    return;
  if (scope->count(decl->name)) {
    diag.error(decl->nameLoc, "'" + decl->name + "' is already defined");
    return;
  }
  Value v = declareVariable(blockPrefix + decl->name.str(), decl->nameLoc,
                            VariableKind::param, type, init, scale);
  (*scope)[decl->name] = v ? SValue::of(v, nullptr) : SValue::error();
}

bool Importer::parseInit(const ast::Expr *expr, InitKind &init,
                         double &scale) {
  StringRef name;
  const ast::CallExpr *call = nullptr;
  if (expr->kind == ast::ExprKind::Ident) {
    name = static_cast<const ast::IdentExpr *>(expr)->name;
    auto bound = scope->find(name);
    if (bound != scope->end() && bound->second.kind == SValue::Word)
      name = bound->second.text;
  } else if (expr->kind == ast::ExprKind::Call) {
    call = static_cast<const ast::CallExpr *>(expr);
    name = call->callee;
  }
  static const StringRef names[] = {"glorot_uniform", "glorot_normal",
                                    "he_uniform",     "he_normal",
                                    "zeros",          "ones",
                                    "normal",         "uniform"};
  std::optional<InitKind> kind = symbolizeInitKind(name);
  if (name.empty() || !kind || !llvm::is_contained(names, name)) {
    diag.error(expr->loc, "expected an initializer (glorot_uniform, "
                          "glorot_normal, he_uniform, he_normal, zeros, ones, "
                          "normal(std=...), uniform(limit=...))" +
                              (name.empty() ? std::string()
                                            : didYouMean(name, names)));
    return false;
  }
  init = *kind;
  bool scaled = init == InitKind::normal || init == InitKind::uniform;
  StringRef key = init == InitKind::normal ? "std" : "limit";
  scale = 0.05; // the default std of normal() and limit of uniform()
  if (!call)
    return true;
  if (!scaled || call->args.size() + call->named.size() > 1) {
    diag.error(call->loc, scaled ? name + " takes one argument, " + key
                                 : name + " takes no arguments");
    return false;
  }
  const ast::Expr *arg = nullptr;
  if (!call->args.empty())
    arg = call->args[0];
  else if (!call->named.empty()) {
    if (call->named[0].name != key) {
      diag.error(call->named[0].loc, name + " has no argument '" +
                                         call->named[0].name + "'; expected " +
                                         key);
      return false;
    }
    arg = call->named[0].value;
  }
  if (!arg)
    return true;
  SValue v = evaluate(arg);
  if (v.kind != SValue::Number || v.number < 0) {
    if (v.ok())
      diag.error(arg->loc, key + " must be a non-negative number, got " +
                               describe(v));
    return false;
  }
  scale = v.number;
  return true;
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> nnc::importModel(llvm::SourceMgr &sourceMgr,
                                       unsigned bufferId,
                                       MLIRContext *context) {
  context->loadDialect<NncDialect, func::FuncDialect>();
  DiagEmitter diag(sourceMgr, bufferId, context);
  ast::ASTContext astContext;
  std::optional<ast::Module> ast =
      parseFile(sourceMgr, bufferId, astContext, diag);
  if (!ast)
    return nullptr;
  OwningOpRef<ModuleOp> module =
      ModuleOp::create(diag.loc(SMLoc::getFromPointer(
          sourceMgr.getMemoryBuffer(bufferId)->getBufferStart())));
  Importer importer(diag, *module);
  importer.importModule(*ast);
  if (diag.hadErrors())
    return nullptr;
  if (failed(verify(*module))) {
    emitError(module->getLoc(), "internal error: the imported graph does not "
                                "verify (please report this)");
    return nullptr;
  }
  return module;
}
