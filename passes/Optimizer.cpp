//===- Optimizer.cpp - the training step: gradients plus the update -------===//
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace nnc {
#define GEN_PASS_DEF_OPTIMIZER
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {
/// The optimizer settings of the module's train block.
struct Settings {
  std::string kind = "adam";
  double momentum = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-7,
         weightDecay = 0;
  bool nesterov = false;

  static Settings read(ModuleOp module) {
    Settings s;
    auto train = module->getAttrOfType<DictionaryAttr>(kTrainAttr);
    auto opt = train ? train.getAs<DictionaryAttr>("optimizer") : nullptr;
    if (!opt)
      return s;
    if (auto kind = opt.getAs<StringAttr>("kind"))
      s.kind = kind.getValue().str();
    auto number = [&](StringRef key, double &out) {
      if (auto f = opt.getAs<FloatAttr>(key))
        out = f.getValueAsDouble();
    };
    number("momentum", s.momentum);
    number("beta1", s.beta1);
    number("beta2", s.beta2);
    number("eps", s.eps);
    number("weight_decay", s.weightDecay);
    if (auto b = opt.getAs<BoolAttr>("nesterov"))
      s.nesterov = b.getValue();
    return s;
  }
  /// The state each parameter needs.
  SmallVector<StringRef> slots() const {
    if (kind == "adam" || kind == "adamw")
      return {"m", "v"};
    if (momentum > 0)
      return {"momentum"};
    return {};
  }
};

struct Optimizer : nnc::impl::OptimizerBase<Optimizer> {
  using OptimizerBase::OptimizerBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto model = module->getAttrOfType<StringAttr>(kModelAttr);
    auto gradients = model ? module.lookupSymbol<func::FuncOp>(
                                 (model.getValue() + "_gradients").str())
                           : nullptr;
    if (!gradients)
      return; // no loss or not differentiable: nothing to train
    Settings settings = Settings::read(module);
    if (settings.kind != "sgd" && settings.kind != "adam" &&
        settings.kind != "adamw") {
      module.emitError("unknown optimizer '") << settings.kind << "'";
      return signalPassFailure();
    }
    build(module, gradients, settings, model.getValue());
    if (!gradientsEntry)
      gradients.erase();
  }

  void build(ModuleOp module, func::FuncOp gradients, const Settings &settings,
             StringRef model) {
    OpBuilder b(module.getContext());
    // The parameters (in the order of the gradients) and their new slots,
    // appended after every other variable.
    SmallVector<VariableOp> params;
    for (auto var : module.getOps<VariableOp>())
      if (var.getKind() == VariableKind::param)
        params.push_back(var);
    SmallVector<StringRef> slotNames = settings.slots();
    SmallVector<SmallVector<VariableOp>> slots(params.size());
    // Slots go after every other variable (slot-major), keeping the
    // variables together.
    Operation *lastVariable = nullptr;
    for (auto var : module.getOps<VariableOp>())
      lastVariable = var;
    b.setInsertionPointAfter(lastVariable);
    for (StringRef slot : slotNames)
      for (auto [i, param] : llvm::enumerate(params))
        slots[i].push_back(b.create<VariableOp>(
            param.getLoc(),
            b.getStringAttr("optimizer." + slot + "." + param.getSymName()),
            VariableKindAttr::get(b.getContext(), VariableKind::optimizer),
            param.getTypeAttr(),
            InitKindAttr::get(b.getContext(), InitKind::zeros),
            b.getF64FloatAttr(0), b.getI64IntegerAttr(1),
            b.getI64IntegerAttr(1)));

    // Arguments: the gradients' variables, the slots, inputs and targets,
    // then lr, step and the dropout key.
    FunctionType gradType = gradients.getFunctionType();
    unsigned numVariables = 0;
    while (numVariables < gradients.getNumArguments() &&
           gradients.getArgAttr(numVariables, kVariableAttr))
      ++numVariables;
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    DenseMap<StringAttr, unsigned> argOf;
    for (unsigned i = 0; i < numVariables; ++i) {
      argOf[gradients.getArgAttrOfType<StringAttr>(i, kVariableAttr)] = i;
      argTypes.push_back(gradType.getInput(i));
      argAttrs.push_back(gradients.getArgAttrDict(i));
    }
    for (size_t s = 0; s < slotNames.size(); ++s)
      for (auto &paramSlots : slots) {
        argTypes.push_back(paramSlots[s].getType());
        argAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
            kVariableAttr, paramSlots[s].getSymNameAttr())));
      }
    unsigned numSlots = slotNames.size() * params.size();
    unsigned keyArg = gradients.getNumArguments() - 1;
    for (unsigned i = numVariables; i < keyArg; ++i) {
      argTypes.push_back(gradType.getInput(i));
      argAttrs.push_back(gradients.getArgAttrDict(i));
    }
    auto scalarType = gradType.getResult(0); // the loss's
    argTypes.push_back(scalarType);
    argAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(kLearningRateAttr, b.getUnitAttr())));
    argTypes.push_back(scalarType);
    argAttrs.push_back(
        b.getDictionaryAttr(b.getNamedAttr(kStepAttr, b.getUnitAttr())));
    argTypes.push_back(gradType.getInput(keyArg));
    argAttrs.push_back(gradients.getArgAttrDict(keyArg));

    b.setInsertionPointAfter(gradients);
    auto func = b.create<func::FuncOp>(gradients.getLoc(),
                                       (model + "_train_step").str(),
                                       b.getFunctionType(argTypes, {}));
    func.setAllArgAttrs(argAttrs);
    func->setAttr(kEntryAttr, b.getStringAttr("train_step"));
    Block *entry = func.addEntryBlock();
    IRMapping map;
    Block &body = gradients.getBody().front();
    for (unsigned i = 0; i < gradients.getNumArguments(); ++i) {
      unsigned to = i < numVariables ? i
                    : i < keyArg     ? i + numSlots
                                     : entry->getNumArguments() - 1;
      map.map(body.getArgument(i), entry->getArgument(to));
    }
    b.setInsertionPointToStart(entry);
    for (Operation &op : body.without_terminator())
      b.clone(op, map);
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    Value lr = entry->getArgument(entry->getNumArguments() - 3);
    Value step = entry->getArgument(entry->getNumArguments() - 2);

    // Results: the loss and metrics, as the gradients' ...
    SmallVector<Value> results;
    SmallVector<NamedAttribute> resultAttrs;
    DenseMap<StringAttr, Value> gradOf;
    SmallVector<std::pair<Value, StringAttr>> stateUpdates;
    for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
      Value v = map.lookup(value);
      if (auto name = gradients.getResultAttrOfType<StringAttr>(
              i, kGradientAttr)) {
        gradOf[name] = v;
      } else if (auto name = gradients.getResultAttrOfType<StringAttr>(
                     i, kUpdateAttr)) {
        stateUpdates.push_back({v, name});
      } else {
        results.push_back(v);
        for (NamedAttribute attr : gradients.getResultAttrDict(i))
          resultAttrs.push_back(attr);
      }
    }
    if (distributed) {
      startAllreduces(b, params, gradOf);
      // Dropout's masks count rows from this process's first sample
      // (codegen/LowerTraining.cpp).
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(func);
      b.create<func::FuncOp>(func.getLoc(), kSampleOffsetFunction,
                             b.getFunctionType({}, {b.getI64Type()}))
          .setPrivate();
    }
    // ... then the updated parameters, slots and state.
    SmallVector<std::pair<Value, StringAttr>> updates;
    SmallVector<std::pair<Value, StringAttr>> slotUpdates;
    for (size_t i = 0; i < params.size(); ++i) {
      VariableOp param = params[i];
      Value p = entry->getArgument(argOf.lookup(param.getSymNameAttr())),
            g = gradOf.lookup(param.getSymNameAttr());
      auto slotArg = [&](size_t s) {
        return entry->getArgument(numVariables + s * params.size() + i);
      };
      Location loc = param.getLoc();
      if (distributed) {
        auto start = g.getDefiningOp<GradAllreduceStartOp>();
        g = b.create<GradAllreduceWaitOp>(loc, g.getType(), g,
                                          start.getBucketAttr(),
                                          start.getOffsetAttr());
      }
      SmallVector<Value> newSlots;
      Value newParam;
      if (settings.kind == "sgd" && settings.momentum == 0) {
        newParam = b.create<SgdUpdateOp>(loc, p.getType(), p, g, lr);
      } else if (settings.kind == "sgd") {
        auto op = b.create<MomentumUpdateOp>(
            loc, p.getType(), p.getType(), p, g, slotArg(0), lr,
            b.getF64FloatAttr(settings.momentum),
            b.getBoolAttr(settings.nesterov));
        newParam = op.getNewParam();
        newSlots.push_back(op.getNewVelocity());
      } else {
        auto op = b.create<AdamUpdateOp>(
            loc, p.getType(), p.getType(), p.getType(), p, g, slotArg(0),
            slotArg(1), lr, step, b.getF64FloatAttr(settings.beta1),
            b.getF64FloatAttr(settings.beta2), b.getF64FloatAttr(settings.eps),
            b.getF64FloatAttr(settings.kind == "adamw" ? settings.weightDecay
                                                       : 0.0));
        newParam = op.getNewParam();
        newSlots.push_back(op.getNewM());
        newSlots.push_back(op.getNewV());
      }
      updates.push_back({newParam, param.getSymNameAttr()});
      for (auto [s, value] : llvm::enumerate(newSlots))
        slotUpdates.push_back({value, slots[i][s].getSymNameAttr()});
    }
    // Slots in variable order: slot-major.
    for (size_t s = 0; s < slotNames.size(); ++s)
      for (size_t i = 0; i < params.size(); ++i)
        updates.push_back(slotUpdates[i * slotNames.size() + s]);
    llvm::append_range(updates, stateUpdates);
    for (auto &[value, name] : updates) {
      results.push_back(value);
      resultAttrs.push_back(b.getNamedAttr(kUpdateAttr, name));
    }
    b.create<func::ReturnOp>(ret.getLoc(), results);
    func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
    for (auto [i, attr] : llvm::enumerate(resultAttrs))
      func.setResultAttr(i, attr.getName(), attr.getValue());

    // <model>_gradients updates nothing: its state results go.
    llvm::BitVector drop(gradients.getNumResults());
    for (unsigned i = 0; i < gradients.getNumResults(); ++i)
      drop[i] = (bool)gradients.getResultAttr(i, kUpdateAttr);
    ret->eraseOperands(drop);
    gradients.eraseResults(drop);
    eraseDeadOps(body);
  }

  /// Data-parallel training: buckets of gradients, last layer's first
  /// (the backward computes them in about that order): a gradient of
  /// bucket-bytes or more alone, smaller ones of one element type packed
  /// until a bucket holds bucket-bytes; a start op right after each
  /// gradient's computation. gradOf then maps to the start ops' results.
  void startAllreduces(OpBuilder &b, ArrayRef<VariableOp> params,
                       DenseMap<StringAttr, Value> &gradOf) {
    OpBuilder::InsertionGuard guard(b);
    struct Slot {
      StringAttr param;
      int64_t bucket, offset;
    };
    SmallVector<Slot> placed;
    SmallVector<int64_t> bucketSizes; // elements
    SmallVector<Type> bucketTypes;
    int64_t open = -1; // the bucket small gradients fill
    for (VariableOp param : llvm::reverse(params)) {
      auto t = cast<RankedTensorType>(param.getType());
      int64_t element = t.getElementTypeBitWidth() / 8;
      auto add = [&](int64_t bucket) {
        placed.push_back({param.getSymNameAttr(), bucket, bucketSizes[bucket]});
        bucketSizes[bucket] += t.getNumElements();
      };
      // A gradient of a bucket's size or more is a bucket of its own
      // (summed in place, without copies).
      if (t.getNumElements() * element >= bucketBytes) {
        bucketSizes.push_back(0);
        bucketTypes.push_back(t.getElementType());
        add(bucketSizes.size() - 1);
        continue;
      }
      if (open < 0 || bucketSizes[open] * element >= bucketBytes ||
          bucketTypes[open] != t.getElementType()) {
        bucketSizes.push_back(0);
        bucketTypes.push_back(t.getElementType());
        open = bucketSizes.size() - 1;
      }
      add(open);
    }
    for (const Slot &slot : placed) {
      Value g = gradOf.lookup(slot.param);
      if (Operation *def = g.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(g.getParentBlock());
      gradOf[slot.param] = b.create<GradAllreduceStartOp>(
          g.getLoc(), g.getType(), g, b.getI64IntegerAttr(slot.bucket),
          b.getI64IntegerAttr(slot.offset),
          b.getI64IntegerAttr(bucketSizes[slot.bucket]));
    }
  }
};
} // namespace
