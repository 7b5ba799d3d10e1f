//===- Summary.cpp - the summary command ----------------------------------===//
//
// A table like Keras's model.summary(): the description's "layers" (name,
// op, output shape, parameter count), or, for a description without them,
// the variable table; then the parameter totals.
//
//===----------------------------------------------------------------------===//
#include "runtime/Format.h"
#include "runtime/Model.h"
#include "runtime/main/Commands.h"
#include "runtime/main/Data.h"

#include <nlohmann/json.hpp>

#include <cstdio>

using namespace nnc::exe;
using json = nlohmann::json;

using nnc::rt::withCommas;

using Row = std::vector<std::string>;

static std::vector<Row> layerRows(const nnc_model *m) {
  std::vector<Row> rows;
  json description = json::parse(m->def->description, nullptr, false);
  const json &layers = description.is_object()
                           ? description.value("layers", json::array())
                           : json::array();
  if (layers.is_array() && !layers.empty()) {
    rows.push_back({"Layer (type)", "Output Shape", "Param #"});
    for (const json &l : layers)
      rows.push_back({l.value("name", "?") + " (" + l.value("op", "?") + ")",
                      shapeText(l.value("shape", std::vector<int64_t>{})),
                      withCommas(l.value("params", int64_t(0)))});
    return rows;
  }
  rows.push_back({"Variable (kind)", "Shape", "Param #"});
  for (const nnc::rt::VariableInfo &v : m->desc.variables)
    if (v.kind != NNC_OPTIMIZER)
      rows.push_back({v.name + (v.trainable ? " (param)" : " (state)"),
                      shapeText(v.shape), withCommas(v.sampleSize())});
  return rows;
}

void nnc::exe::runSummary(const nnc_model *m) {
  std::vector<Row> rows = layerRows(m);
  size_t widths[3] = {28, 26, 10};
  for (const Row &r : rows)
    for (size_t c = 0; c < 3; ++c)
      widths[c] = std::max(widths[c], r[c].size() + 2);
  size_t total = widths[0] + widths[1] + widths[2] + 1;
  auto print = [&](const Row &r) {
    std::printf(" %-*s%-*s%s\n", (int)widths[0], r[0].c_str(), (int)widths[1],
                r[1].c_str(), r[2].c_str());
  };
  std::printf("Model: \"%s\"\n%s\n", m->desc.model.c_str(),
              std::string(total, '_').c_str());
  print(rows[0]);
  std::printf("%s\n", std::string(total, '=').c_str());
  for (size_t i = 1; i < rows.size(); ++i)
    print(rows[i]);
  int64_t counts[3] = {0, 0, 0}; // param, state, optimizer
  for (const nnc::rt::VariableInfo &v : m->desc.variables)
    counts[v.kind] += v.sampleSize();
  std::printf("%s\n", std::string(total, '=').c_str());
  std::printf("Total params: %s\nTrainable params: %s\n"
              "Non-trainable params: %s\n",
              withCommas(counts[NNC_PARAM] + counts[NNC_STATE]).c_str(),
              withCommas(counts[NNC_PARAM]).c_str(),
              withCommas(counts[NNC_STATE]).c_str());
  if (counts[NNC_OPTIMIZER])
    std::printf("Optimizer params: %s\n",
                withCommas(counts[NNC_OPTIMIZER]).c_str());
  std::printf("%s\n", std::string(total, '_').c_str());
}
