//===- Data.cpp - data sets for the model executable ----------------------===//
#include "runtime/main/Data.h"
#include "runtime/Model.h"
#include "runtime/main/Formats.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <sys/stat.h>

using namespace nnc::exe;
using nnc::rt::Error;
using nnc::rt::TensorInfo;

std::string nnc::exe::shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") +
         (shape[i] < 0 ? std::string("batch") : std::to_string(shape[i]));
  return s + "]";
}

/// As the language writes a type: "f32[batch, 28, 28]".
static std::string typeText(const TensorInfo &t) {
  const char *dtype = t.dtype == NNC_F64   ? "f64"
                      : t.dtype == NNC_I32 ? "i32"
                                           : "f32";
  return dtype + shapeText(t.shape);
}

static FieldSpec specOf(const char *role, const TensorInfo &t) {
  return FieldSpec{role, t.name, typeText(t), t.dtype, t.sampleSize(), 0};
}

FieldSpec nnc::exe::inputSpec(const nnc_model *m) {
  if (m->desc.inputs.size() != 1)
    throw Error("model '" + m->desc.model + "' has " +
                std::to_string(m->desc.inputs.size()) +
                " inputs; data files feed exactly one");
  return specOf("input", m->desc.inputs[0]);
}

FieldSpec nnc::exe::targetSpec(const nnc_model *m) {
  if (m->desc.targets.empty())
    throw Error("model '" + m->desc.model +
                "' has no target (and no loss) to train or evaluate");
  if (m->desc.targets.size() > 1)
    throw Error("model '" + m->desc.model + "' has " +
                std::to_string(m->desc.targets.size()) +
                " targets; data files feed exactly one");
  FieldSpec spec = specOf("target", m->desc.targets[0]);
  // Class ids index the first output's last dim (logits, probabilities).
  const std::vector<TensorInfo> &outputs = m->desc.outputs;
  if (spec.dtype == NNC_I32 && spec.width == 1 && !outputs.empty() &&
      !outputs[0].shape.empty() && outputs[0].shape.back() > 1)
    spec.classes = outputs[0].shape.back();
  return spec;
}

static std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", v);
  return text;
}

std::string FieldSpec::problem(double v) const {
  if (fits(v))
    return "";
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return "an infinite value";
  if (dtype == NNC_I32 && (v != std::floor(v) || std::abs(v) > INT32_MAX))
    return "value " + number(v) + " (not an i32) for " + role + " '" + name +
           "'";
  return "label " + number(v) + " out of range [0, " +
         std::to_string(classes) + ")";
}

int64_t Field::count() const { return (int64_t)(bytes.size() / sampleBytes()); }

size_t Field::sampleBytes() const {
  return (size_t)width * nnc::rt::dtypeSize(dtype);
}

/// `v` converted to `dtype` at `to`.
static void store(int dtype, char *to, double v) {
  if (dtype == NNC_F32) {
    float f = (float)v;
    std::memcpy(to, &f, sizeof f);
  } else if (dtype == NNC_F64) {
    std::memcpy(to, &v, sizeof v);
  } else {
    int32_t i = (int32_t)v;
    std::memcpy(to, &i, sizeof i);
  }
}

void Field::append(double v) {
  size_t at = bytes.size();
  bytes.resize(at + nnc::rt::dtypeSize(dtype));
  store(dtype, &bytes[at], v);
}

void Field::appendSample(const double *values) {
  size_t at = bytes.size(), size = nnc::rt::dtypeSize(dtype);
  bytes.resize(at + sampleBytes());
  for (int64_t e = 0; e < width; ++e)
    store(dtype, &bytes[at + e * size], values[e]);
}

static Field tailOf(Field &f, int64_t n) {
  Field tail{f.dtype, f.width, {}};
  auto from = f.bytes.end() - (ptrdiff_t)(n * f.sampleBytes());
  tail.bytes.assign(from, f.bytes.end());
  f.bytes.erase(from, f.bytes.end());
  return tail;
}

Split Split::takeTail(int64_t n) {
  Split tail;
  tail.x = tailOf(x, n);
  tail.y = tailOf(y, n);
  return tail;
}

static bool exists(const std::string &path, bool *folder = nullptr) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return false;
  if (folder)
    *folder = S_ISDIR(st.st_mode);
  return true;
}

/// `folder/name` or `folder/name.gz`, whichever exists; "" if neither.
static std::string mnistFile(const std::string &folder,
                             const std::string &name) {
  for (const char *suffix : {"", ".gz"})
    if (exists(folder + "/" + name + suffix))
      return folder + "/" + name + suffix;
  return "";
}

static bool hasMnistPart(const std::string &folder, const char *part) {
  return !mnistFile(folder, std::string(part) + "-images-idx3-ubyte").empty();
}

/// The images and labels of `part` ("train", "t10k") of an MNIST folder.
static Split readMnistPart(const std::string &folder, const char *part,
                           const FieldSpec &x, const FieldSpec &y) {
  std::string paths[2];
  const char *kinds[2] = {"-images-idx3-ubyte", "-labels-idx1-ubyte"};
  for (int i = 0; i < 2; ++i) {
    paths[i] = mnistFile(folder, part + std::string(kinds[i]));
    if (paths[i].empty())
      throw Error(folder + " has no " + part + kinds[i] + "[.gz]");
  }
  Split split{readIdx(paths[0], x), readIdx(paths[1], y)};
  if (split.x.count() != split.y.count())
    throw Error(paths[0] + " holds " + std::to_string(split.x.count()) +
                " samples, " + paths[1] + " " +
                std::to_string(split.y.count()));
  return split;
}

/// Checks that `path` is a CSV file or a folder; true for a folder.
static bool isFolder(const std::string &path) {
  if (path.empty())
    throw Error("no data: the model's train block sets none; give --data "
                "PATH (an MNIST-layout folder or a .csv file)");
  bool folder = false;
  if (!exists(path, &folder))
    throw Error("cannot open " + path + ": " + std::strerror(errno));
  if (!folder && !isCsv(path))
    throw Error(path + ": not a data set (expected a folder in MNIST layout "
                       "or a .csv file)");
  return folder;
}

Dataset nnc::exe::loadTrainingData(const std::string &path, const FieldSpec &x,
                                   const FieldSpec &y) {
  if (!isFolder(path))
    return Dataset{readCsv(path, x, &y, true), std::nullopt};
  Dataset data{readMnistPart(path, "train", x, y), std::nullopt};
  if (hasMnistPart(path, "t10k"))
    data.test = readMnistPart(path, "t10k", x, y);
  return data;
}

Split nnc::exe::loadEvaluationData(const std::string &path, const FieldSpec &x,
                                   const FieldSpec &y) {
  if (!isFolder(path))
    return readCsv(path, x, &y, true);
  if (!hasMnistPart(path, "t10k"))
    throw Error(path + " has no test split (t10k-images-idx3-ubyte[.gz])");
  return readMnistPart(path, "t10k", x, y);
}

Field nnc::exe::loadFeatures(const std::string &path, const FieldSpec &x,
                             const FieldSpec *y) {
  if (isCsv(path))
    return readCsv(path, x, y, false).x;
  return readIdx(path, x);
}
