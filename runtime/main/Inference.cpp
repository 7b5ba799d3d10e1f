//===- Inference.cpp - the eval and predict commands ----------------------===//
#include "runtime/AtomicFile.h"
#include "runtime/Checkpoint.h"
#include "runtime/main/Batches.h"
#include "runtime/main/Commands.h"
#include "runtime/main/Distributed.h"

#include <charconv>
#include <cstdio>

using namespace nnc::exe;
using nnc::rt::Error;

void nnc::exe::runEval(nnc_model *m, const Settings &s) {
  FieldSpec x = inputSpec(m), y = targetSpec(m);
  nnc::rt::loadCheckpoint(m, s.load, s.allowNonFinite);
  Split data = loadEvaluationData(s.data, x, y);
  Averages test = evaluate(m, data, s.batch); // each process its share
  if (isRoot())
    std::printf("test  %s\n", test.format().c_str());
}

/// The CSV header: "probs_0,...,probs_9" for an output of several values a
/// sample, its name for one value.
static std::string csvHeader(const nnc_model *m) {
  std::string header;
  for (const nnc::rt::TensorInfo &out : m->desc.outputs) {
    int64_t n = out.sampleSize();
    for (int64_t i = 0; i < n; ++i)
      header += (header.empty() ? "" : ",") + out.name +
                (n > 1 ? "_" + std::to_string(i) : "");
  }
  return header + "\n";
}

/// Appends the shortest text that reads back as the same value.
static void appendValue(std::string &row, const void *data, int dtype,
                        int64_t i) {
  char text[32];
  std::to_chars_result r;
  if (dtype == NNC_F32)
    r = std::to_chars(text, text + sizeof text,
                      static_cast<const float *>(data)[i]);
  else if (dtype == NNC_F64)
    r = std::to_chars(text, text + sizeof text,
                      static_cast<const double *>(data)[i]);
  else
    r = std::to_chars(text, text + sizeof text,
                      static_cast<const int32_t *>(data)[i]);
  row.append(text, r.ptr);
}

/// Appends `n` CSV rows, one a sample, of the outputs in `buffers`.
static void appendRows(std::string &csv, const nnc_model *m,
                       const std::vector<nnc::rt::Buffer> &buffers, int64_t n) {
  const auto &outputs = m->desc.outputs;
  for (int64_t s = 0; s < n; ++s) {
    for (size_t o = 0; o < outputs.size(); ++o) {
      int64_t width = outputs[o].sampleSize();
      for (int64_t i = 0; i < width; ++i) {
        if (o || i)
          csv += ',';
        appendValue(csv, buffers[o].data(), outputs[o].dtype, s * width + i);
      }
    }
    csv += '\n';
  }
}

void nnc::exe::runPredict(nnc_model *m, const Settings &s) {
  FieldSpec x = inputSpec(m);
  std::optional<FieldSpec> y;
  if (!m->desc.targets.empty())
    y = targetSpec(m);
  nnc::rt::loadCheckpoint(m, s.load, s.allowNonFinite);
  Field features = loadFeatures(s.input, x, y ? &*y : nullptr);
  // In a data-parallel run each process predicts its share of the rows;
  // rank 0 gathers them, in order, and writes the file.
  Communicator &c = communicator();
  Share share = shareOf(features.count(), c.rank(), c.size());
  // Buffers for the largest batch there is, checked against the memory.
  const int64_t batch =
      std::max<int64_t>(1, std::min(s.batch, share.count));
  nnc::rt::checkBatchFits(m, "predict", batch);
  Batcher batcher({&features}, batch);
  std::vector<nnc::rt::Buffer> buffers;
  std::vector<void *> outputs;
  for (const nnc::rt::TensorInfo &out : m->desc.outputs) {
    buffers.emplace_back(batch * out.sampleSize() *
                         nnc::rt::dtypeSize(out.dtype));
    outputs.push_back(buffers.back().data());
  }
  std::vector<int64_t> order = identityOrder(features.count());
  std::string rows;
  int64_t end = share.first + share.count;
  for (int64_t b = share.first; b < end; b += batch) {
    int64_t n = std::min(batch, end - b);
    batcher.gather(order.data() + b, n);
    check(nnc_predict(m, n, batcher.at(0), outputs.data()));
    appendRows(rows, m, buffers, n);
  }
  rows = c.gather(rows);
  if (!isRoot())
    return;
  std::string csv = csvHeader(m) + rows;
  if (s.output.empty()) {
    std::fwrite(csv.data(), 1, csv.size(), stdout);
    return;
  }
  nnc::rt::AtomicFile file(s.output);
  file.write(csv);
  file.commit();
}
