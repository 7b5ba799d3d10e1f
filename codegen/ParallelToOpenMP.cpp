//===- ParallelToOpenMP.cpp - scf.parallel to threads, statically split ---===//
//
// scf.parallel (from scf.forall) becomes one omp.parallel region in which
// each thread computes its own contiguous chunk of the linearized
// iteration space: no omp.wsloop, so no __kmpc_for_static_init (which
// formats a string on every call) and no barrier besides the region's
// join; an `if` clause keeps one-iteration loops on the calling thread.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "ir/NncOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

namespace nnc {
#define GEN_PASS_DEF_PARALLELTOOPENMP
#include "codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

/// Declares `name() -> i32` (an OpenMP runtime query) in `module`.
static func::FuncOp declareQuery(ModuleOp module, StringRef name) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b(module.getBodyRegion());
  auto f = b.create<func::FuncOp>(
      module.getLoc(), name,
      b.getFunctionType({}, {b.getI32Type()}));
  f.setPrivate();
  return f;
}

/// ceil(a / b) for a >= 0, b > 0, with the ops that convert-arith-to-llvm
/// lowers directly (arith.ceildivsi would need arith-expand).
static Value ceilDiv(OpBuilder &b, Location loc, Value a, Value d) {
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value sum = b.create<arith::AddIOp>(
      loc, a, b.create<arith::SubIOp>(loc, d, one));
  return b.create<arith::DivSIOp>(loc, sum, d);
}

/// The number of iterations of dim `i` of `loop`: ceil((ub - lb) / step),
/// 0 when ub <= lb.
static Value tripCount(OpBuilder &b, Location loc, scf::ParallelOp loop,
                       unsigned i) {
  Value span = b.create<arith::SubIOp>(loc, loop.getUpperBound()[i],
                                       loop.getLowerBound()[i]);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  span = b.create<arith::MaxSIOp>(loc, span, zero);
  return ceilDiv(b, loc, span, loop.getStep()[i]);
}

/// Clones the body of `loop` (without its terminator) into an
/// alloca_scope at `b`'s insertion point, with the induction variables
/// mapped to `ivs`.
static void cloneBody(OpBuilder &b, Location loc, scf::ParallelOp loop,
                      ValueRange ivs) {
  auto scope = b.create<memref::AllocaScopeOp>(loc, TypeRange{});
  Block *block = b.createBlock(&scope.getBodyRegion());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(block);
  IRMapping map;
  map.map(loop.getInductionVars(), ivs);
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, map);
  b.create<memref::AllocaScopeReturnOp>(loc);
}

/// Nested parallel loops run serially inside the outer one's threads.
static void serialize(scf::ParallelOp loop) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  SmallVector<Value> ivs;
  std::function<void(unsigned)> nest = [&](unsigned i) {
    if (i == loop.getNumLoops()) {
      cloneBody(b, loc, loop, ivs);
      return;
    }
    auto f = b.create<scf::ForOp>(loc, loop.getLowerBound()[i],
                                  loop.getUpperBound()[i], loop.getStep()[i]);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(f.getBody()->getTerminator());
    ivs.push_back(f.getInductionVar());
    nest(i + 1);
  };
  nest(0);
  loop.erase();
}

namespace {
struct ParallelToOpenMP
    : nnc::impl::ParallelToOpenMPBase<ParallelToOpenMP> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ParallelOp> outer;
    module.walk<WalkOrder::PreOrder>([&](scf::ParallelOp loop) {
      if (loop.getNumResults() == 0 &&
          !loop->getParentOfType<scf::ParallelOp>() &&
          !loop->getParentOfType<omp::ParallelOp>())
        outer.push_back(loop);
    });
    func::FuncOp threadNum, numThreads;
    if (!outer.empty()) {
      threadNum = declareQuery(module, "omp_get_thread_num");
      numThreads = declareQuery(module, "omp_get_num_threads");
    }
    for (scf::ParallelOp loop : outer) {
      // Inner parallel loops first (their bodies move with the outer one).
      SmallVector<scf::ParallelOp> inner;
      loop->walk([&](scf::ParallelOp p) {
        if (p != loop && p.getNumResults() == 0)
          inner.push_back(p);
      });
      for (scf::ParallelOp p : llvm::reverse(inner))
        serialize(p);
      convert(loop, threadNum, numThreads);
    }
    // The hints have served (those of loops left serial or to
    // convert-scf-to-openmp too).
    module.walk([](nnc::ParallelWorkOp hint) { hint.erase(); });
  }

  /// Loops with less work than this (iterations of the tiled op's loop
  /// nest) run on the calling thread.
  static constexpr int64_t kForkWork = 1 << 18;

  void convert(scf::ParallelOp loop, func::FuncOp threadNum,
               func::FuncOp numThreads) {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    unsigned rank = loop.getNumLoops();
    SmallVector<Value> counts;
    Value total;
    for (unsigned i = 0; i < rank; ++i) {
      counts.push_back(tripCount(b, loc, loop, i));
      total = i == 0 ? counts[0]
                     : b.create<arith::MulIOp>(loc, total, counts[i]);
    }
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    Value fork = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt,
                                         total, one);
    // Too little work for a fork (nnc-tile-and-vectorize's hint): one
    // thread (a fork and join costs ~1-2 us here, ~2^18 multiply-adds of
    // vector work split in two).
    auto hints = loop.getBody()->getOps<nnc::ParallelWorkOp>();
    if (!hints.empty()) {
      Value enough = b.create<arith::CmpIOp>(
          loc, arith::CmpIPredicate::sge, (*hints.begin()).getWork(),
          b.create<arith::ConstantIndexOp>(loc, kForkWork));
      fork = b.create<arith::AndIOp>(loc, fork, enough);
    }
    auto region = b.create<omp::ParallelOp>(
        loc, /*if_expr=*/fork, /*num_threads_var=*/Value(),
        /*allocate_vars=*/ValueRange(), /*allocators_vars=*/ValueRange(),
        /*reduction_vars=*/ValueRange(), /*reduction_vars_byref=*/nullptr,
        /*reductions=*/nullptr, /*proc_bind_val=*/nullptr,
        /*private_vars=*/ValueRange(), /*privatizers=*/nullptr);
    Block *body = b.createBlock(&region.getRegion());
    b.setInsertionPointToStart(body);
    // Without a fork, thread 0 of 1 whatever the OpenMP runtime says: the
    // object code calls the body directly then (callSerialBodiesDirectly in
    // codegen/Emit.cpp), maybe on a thread of the caller's own team.
    auto query = [&](func::FuncOp f, int64_t serial) -> Value {
      Value v = b.create<func::CallOp>(loc, f).getResult(0);
      v = b.create<arith::SelectOp>(
          loc, fork, v, b.create<arith::ConstantIntOp>(loc, serial, 32));
      return b.create<arith::IndexCastOp>(loc, b.getIndexType(), v);
    };
    Value tid = query(threadNum, 0), threads = query(numThreads, 1);
    // Thread t takes [t * chunk, min((t + 1) * chunk, total)).
    Value chunk = ceilDiv(b, loc, total, threads);
    Value begin = b.create<arith::MinSIOp>(
        loc, b.create<arith::MulIOp>(loc, tid, chunk), total);
    Value end = b.create<arith::MinSIOp>(
        loc, b.create<arith::AddIOp>(loc, begin, chunk), total);
    auto chunkLoop = b.create<scf::ForOp>(loc, begin, end, one);
    b.create<omp::TerminatorOp>(loc);
    b.setInsertionPoint(chunkLoop.getBody()->getTerminator());
    // Delinearize: the last dim varies fastest.
    SmallVector<Value> ivs(rank);
    Value rest = chunkLoop.getInductionVar();
    for (int i = rank - 1; i >= 0; --i) {
      Value index = rest;
      if (i > 0) {
        index = b.create<arith::RemSIOp>(loc, rest, counts[i]);
        rest = b.create<arith::DivSIOp>(loc, rest, counts[i]);
      }
      ivs[i] = b.create<arith::AddIOp>(
          loc, loop.getLowerBound()[i],
          b.create<arith::MulIOp>(loc, index, loop.getStep()[i]));
    }
    cloneBody(b, loc, loop, ivs);
    loop.erase();
  }
};
} // namespace
