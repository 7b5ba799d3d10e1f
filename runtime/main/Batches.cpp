//===- Batches.cpp - batches, running means and evaluation ----------------===//
#include "runtime/main/Batches.h"

#include <cstring>
#include <numeric>

using namespace nnc::exe;
using nnc::rt::Error;

Batcher::Batcher(std::vector<const Field *> fields, int64_t capacity)
    : fields(std::move(fields)) {
  for (const Field *f : this->fields) {
    buffers.emplace_back(capacity * f->sampleBytes());
    pointers.push_back(buffers.back().data());
  }
}

void Batcher::gather(const int64_t *indices, int64_t n) {
  for (size_t f = 0; f < fields.size(); ++f) {
    size_t bytes = fields[f]->sampleBytes();
    char *out = static_cast<char *>(buffers[f].data());
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(out + i * bytes, fields[f]->sample(indices[i]), bytes);
  }
}

Averages::Averages(const nnc_model *m) : m(m), sums(1 + nnc_num_metrics(m)) {}

void Averages::add(const std::vector<double> &results, int64_t n) {
  for (size_t i = 0; i < sums.size(); ++i)
    sums[i] += results[i] * (double)n;
  samples += n;
}

void Averages::sumOver(Communicator &c) {
  if (c.size() == 1)
    return;
  std::vector<double> all(sums);
  all.push_back((double)samples);
  c.sum(all.data(), all.size());
  samples = (int64_t)all.back();
  all.pop_back();
  sums = all;
}

std::vector<std::string> Averages::names(const std::string &prefix) const {
  std::vector<std::string> out{prefix + "loss"};
  for (int i = 0; i < nnc_num_metrics(m); ++i)
    out.push_back(prefix + nnc_metric_name(m, i));
  return out;
}

std::string Averages::format(const std::string &prefix) const {
  std::vector<std::string> labels = names(prefix);
  std::string out;
  char value[32];
  for (size_t i = 0; i < labels.size(); ++i) {
    std::snprintf(value, sizeof value, " %.4f", mean(i));
    out += (i ? "  " : "") + labels[i] + value;
  }
  return out;
}

void nnc::exe::check(int status) {
  if (status != 0)
    throw Error(nnc_last_error());
}

std::vector<int64_t> nnc::exe::identityOrder(int64_t n) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

Averages nnc::exe::evaluate(nnc_model *m, const Split &split, int64_t batch) {
  Communicator &c = communicator();
  Share share = shareOf(split.size(), c.rank(), c.size());
  batch = std::max<int64_t>(1, std::min(batch, share.count));
  nnc::rt::checkBatchFits(m, "eval_step", batch);
  Batcher batcher({&split.x, &split.y}, batch);
  std::vector<int64_t> order = identityOrder(split.size());
  Averages averages(m);
  std::vector<double> results = resultSlots(m);
  int64_t end = share.first + share.count;
  for (int64_t b = share.first; b < end; b += batch) {
    int64_t n = std::min(batch, end - b);
    batcher.gather(order.data() + b, n);
    check(nnc_eval_step(m, n, batcher.at(0), batcher.at(1), results.data()));
    averages.add(results, n);
  }
  averages.sumOver(c);
  return averages;
}
