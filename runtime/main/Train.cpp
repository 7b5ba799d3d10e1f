//===- Train.cpp - the train command --------------------------------------===//
//
// Epochs of shuffled batches, a line of results per epoch, a checkpoint
// after each one. The order of an epoch's samples depends only on the seed
// and the epoch's number, and the dropout masks on the seed and the step
// (both saved), so a run resumed from a checkpoint continues exactly as if
// it had not stopped.
//
// Data-parallel (nnc --distributed=mpi under mpirun): every process loads
// the data and draws the same order; each takes its share of every batch
// (Distributed.h: shareOf), and the compiled step sums the gradients,
// weighted by the shares, before the update, so that the result does not
// depend on the number of processes. Rank 0 alone prints and writes the
// checkpoints and the log.
//
//===----------------------------------------------------------------------===//
#include "runtime/AtomicFile.h"
#include "runtime/Checkpoint.h"
#include "runtime/Random.h"
#include "runtime/main/Batches.h"
#include "runtime/main/Commands.h"
#include "runtime/main/Distributed.h"
#include "runtime/main/Progress.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unistd.h>

using namespace nnc::exe;
using nnc::rt::Error;

/// The samples of an epoch, shuffled from (seed, epoch) alone.
static std::vector<int64_t> epochOrder(int64_t n, uint64_t seed, int64_t epoch,
                                       bool shuffle) {
  std::vector<int64_t> order = identityOrder(n);
  if (!shuffle)
    return order;
  nnc::rt::Rng rng(nnc::rt::hashName("shuffle") ^
                   (seed * 0x9E3779B97F4A7C15ull + (uint64_t)epoch));
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[rng.below((uint64_t)i + 1)]);
  return order;
}

/// Keras's validation_split: the last samples, before any shuffling.
static std::optional<Split> holdOut(Split &train, double fraction) {
  int64_t n = train.size(), keep = (int64_t)(n * (1 - fraction));
  if (keep < 1) {
    char text[64];
    std::snprintf(text, sizeof text, "validation_split %g", fraction);
    throw Error(text + std::string(" leaves none of the ") + std::to_string(n) +
                " samples to train on");
  }
  if (keep == n)
    return std::nullopt;
  return train.takeTail(n - keep);
}

static double valueAt(const Field &f, size_t i) {
  if (f.dtype == NNC_F32)
    return reinterpret_cast<const float *>(f.bytes.data())[i];
  if (f.dtype == NNC_F64)
    return reinterpret_cast<const double *>(f.bytes.data())[i];
  return reinterpret_cast<const int32_t *>(f.bytes.data())[i];
}

static void store(nnc_model *m, size_t variable,
                  const std::vector<double> &values) {
  void *data = m->variables[variable].data();
  for (size_t i = 0; i < values.size(); ++i)
    if (m->desc.variables[variable].dtype == NNC_F64)
      static_cast<double *>(data)[i] = values[i];
    else
      static_cast<float *>(data)[i] = (float)values[i];
}

/// normalize(): each feature's mean and variance over the training split,
/// as Keras's Normalization.adapt.
static void adaptNormalizers(nnc_model *m, const Field &x) {
  for (const auto &n : m->desc.normalizers) {
    if (n.input != m->desc.inputs[0].name)
      throw Error("normalize(" + n.input +
                  "): only the first input is fed "
                  "by the data");
    int64_t w = x.width, count = x.count();
    if (m->desc.variables[n.mean].sampleSize() != w ||
        m->desc.variables[n.var].sampleSize() != w)
      throw Error("normalize(" + n.input + "): its statistics do not have " +
                  std::to_string(w) + " features");
    std::vector<double> mean(w), var(w);
    for (int64_t s = 0; s < count; ++s)
      for (int64_t f = 0; f < w; ++f)
        mean[f] += valueAt(x, s * w + f);
    for (double &v : mean)
      v /= (double)count;
    for (int64_t s = 0; s < count; ++s)
      for (int64_t f = 0; f < w; ++f) {
        double d = valueAt(x, s * w + f) - mean[f];
        var[f] += d * d;
      }
    for (double &v : var)
      v /= (double)count;
    store(m, n.mean, mean);
    store(m, n.var, var);
  }
}

namespace {
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The --log file: a header, then a row per epoch, flushed as written.
class EpochLog {
public:
  EpochLog(const std::string &path, bool append) : path(path) {
    if (path.empty())
      return;
    file = std::fopen(path.c_str(), append ? "a" : "w");
    if (!file)
      throw Error("cannot write " + path + ": " + std::strerror(errno));
    fresh = std::ftell(file) == 0;
  }
  ~EpochLog() {
    if (file)
      std::fclose(file);
  }
  void row(const std::vector<std::string> &names,
           const std::vector<double> &values) {
    if (!file)
      return;
    if (fresh)
      for (size_t i = 0; i < names.size(); ++i)
        std::fprintf(file, "%s%s", names[i].c_str(),
                     i + 1 < names.size() ? "," : "\n");
    fresh = false;
    for (size_t i = 0; i < values.size(); ++i)
      std::fprintf(file, "%.8g%s", values[i],
                   i + 1 < values.size() ? "," : "\n");
    if (std::fflush(file) != 0)
      throw Error("cannot write " + path + ": " + std::strerror(errno));
  }

private:
  std::string path;
  FILE *file = nullptr;
  bool fresh = true;
};

/// One run of the train command.
class Trainer {
public:
  Trainer(nnc_model *m, const Settings &s) : m(m), s(s) {}
  void run();

private:
  void start();
  Averages trainEpoch(int64_t epoch);
  void report(int64_t epoch, const Averages &train,
              const std::optional<Averages> &val, double seconds, double rate);

  /// The largest batch a step gets: --batch, or all the samples if fewer.
  int64_t batchSize() const { return std::min(s.batch, data.train.size()); }

  nnc_model *m;
  const Settings &s;
  Dataset data;
  std::optional<Split> validation;
  int64_t done = 0; // epochs trained before this run
  EpochLog log{isRoot() ? s.log : std::string(), !s.resume.empty()};
};
} // namespace

/// The process's resident set size in MB (/proc/self/statm), 0 if unknown:
/// the log's record that memory stays flat over a long run.
static double residentMegabytes() {
  FILE *f = std::fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  bool ok = f && std::fscanf(f, "%ld %ld", &size, &resident) == 2;
  if (f)
    std::fclose(f);
  return ok ? resident * (double)sysconf(_SC_PAGESIZE) / 1e6 : 0;
}

/// The epoch a checkpoint was saved after.
static int64_t savedEpoch(const nnc::rt::Metadata &meta,
                          const std::string &path) {
  auto it = meta.find("epoch");
  char *end = nullptr;
  long long epoch =
      it == meta.end() ? -1 : std::strtoll(it->second.c_str(), &end, 10);
  if (epoch < 0 || *end)
    throw Error(path + ": no epoch in its metadata (not saved by train?)");
  return epoch;
}

void Trainer::start() {
  FieldSpec x = inputSpec(m), y = targetSpec(m);
  if (!s.save.empty() && isRoot()) {
    nnc::rt::AtomicFile probe(s.save); // fails now rather than after an epoch
  }
  if (!s.resume.empty()) {
    if (isRoot())
      nnc::rt::removeStaleTemporaries(s.resume); // of a killed run's save
    done = savedEpoch(
        nnc::rt::loadCheckpoint(m, s.resume, s.allowNonFinite), s.resume);
  }
  else
    check(nnc_init(m, s.seed));
  if (s.lr)
    check(nnc_set_learning_rate(m, *s.lr));
  data = loadTrainingData(s.data, x, y);
  if (data.train.size() == 0)
    throw Error(s.data + " has no training samples");
  validation = holdOut(data.train, s.validationSplit);
  nnc::rt::checkBatchFits(m, "train_step", batchSize());
  if (s.resume.empty())
    adaptNormalizers(m, data.train.x);
}

Averages Trainer::trainEpoch(int64_t epoch) {
  const Split &train = data.train;
  std::vector<int64_t> order =
      epochOrder(train.size(), m->seed, epoch, s.shuffle);
  Batcher batcher({&train.x, &train.y}, batchSize());
  Averages averages(m);
  std::vector<double> results = resultSlots(m);
  Progress progress(!s.quiet && isRoot() && isatty(STDERR_FILENO),
                    "epoch " + std::to_string(epoch) + "/" +
                        std::to_string(s.epochs),
                    train.size());
  Communicator &c = communicator();
  for (int64_t b = 0; b < train.size(); b += s.batch) {
    int64_t n = std::min(s.batch, train.size() - b);
    // This process's share of the batch; a process with none (a batch of
    // fewer samples than processes) still takes part in the step's
    // all-reduce, with one stand-in sample of weight 0.
    Share share = shareOf(n, c.rank(), c.size());
    c.setShare(share, n);
    batcher.gather(order.data() + b + (share.count ? share.first : 0),
                   std::max<int64_t>(share.count, 1));
    check(nnc_train_step(m, std::max<int64_t>(share.count, 1), batcher.at(0),
                         batcher.at(1), results.data()));
    if (!std::isfinite(results[0]))
      throw Error(std::string("the loss became ") +
                  (std::isnan(results[0]) ? "nan" : "inf") + " at epoch " +
                  std::to_string(epoch) + ", step " +
                  std::to_string(nnc_step(m)));
    averages.add(results, share.count);
    progress.update(b + n, averages.mean(0));
  }
  averages.sumOver(c);
  return averages;
}

void Trainer::report(int64_t epoch, const Averages &train,
                     const std::optional<Averages> &val, double seconds,
                     double rate) {
  std::vector<std::string> names{"epoch"};
  std::vector<double> values{(double)epoch};
  auto add = [&](const Averages &a, const std::string &prefix) {
    std::vector<std::string> labels = a.names(prefix);
    for (size_t i = 0; i < labels.size(); ++i) {
      names.push_back(labels[i]);
      values.push_back(a.mean(i));
    }
  };
  add(train, "");
  std::string line = "epoch " + std::to_string(epoch) + "/" +
                     std::to_string(s.epochs) + "  " + train.format();
  if (val) {
    add(*val, "val_");
    line += "  " + val->format("val_");
  }
  names.insert(names.end(), {"time", "samples_per_second", "rss_mb"});
  values.insert(values.end(), {seconds, rate, residentMegabytes()});
  if (!s.quiet && isRoot())
    std::printf("%s  time %.1fs  %.0f samples/s\n", line.c_str(), seconds,
                rate);
  std::fflush(stdout);
  log.row(names, values);
}

void Trainer::run() {
  start();
  if (done >= s.epochs && !s.quiet && isRoot())
    std::fprintf(stderr,
                 "note: %s is at epoch %lld already; nothing left of "
                 "%lld epochs\n",
                 s.resume.c_str(), (long long)done, (long long)s.epochs);
  for (int64_t epoch = done + 1; epoch <= s.epochs; ++epoch) {
    Clock::time_point begin = Clock::now();
    Averages train = trainEpoch(epoch);
    double rate = data.train.size() / secondsSince(begin);
    std::optional<Averages> val;
    if (validation)
      val = evaluate(m, *validation, s.batch);
    report(epoch, train, val, secondsSince(begin), rate);
    if (!s.save.empty() && isRoot())
      nnc::rt::saveCheckpoint(m, s.save, {{"epoch", std::to_string(epoch)}});
  }
  if (data.test) {
    Averages test = evaluate(m, *data.test, s.batch);
    if (isRoot())
      std::printf("test  %s\n", test.format().c_str());
  }
}

void nnc::exe::runTrain(nnc_model *m, const Settings &s) {
  Trainer(m, s).run();
}
