//===- Safetensors.cpp - checkpoints in safetensors format ----------------===//
//
// The format (https://github.com/huggingface/safetensors): an unsigned
// 64-bit little-endian header length N, N bytes of JSON
//   {"<name>": {"dtype": "F32", "shape": [784, 128],
//               "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"model": "mlp", "step": "1875", ...}}
// (padded with spaces to a multiple of 8), then the tensors' bytes, offsets
// counted from the end of the header. Tensors are written in the order of
// the variable table, back to back.
//
//===----------------------------------------------------------------------===//
#include "runtime/AtomicFile.h"
#include "runtime/Checkpoint.h"
#include "runtime/LastError.h"
#include "runtime/Model.h"
#include "runtime/Random.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

using namespace nnc::rt;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian");

static const char *dtypeName(int dtype) {
  return dtype == NNC_F64 ? "F64" : dtype == NNC_I32 ? "I32" : "F32";
}

std::string nnc::rt::modelHash(const nnc_model *m) {
  const char *text = m->def->description;
  json description = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (description.is_object() && description.contains("source_hash") &&
      description["source_hash"].is_string())
    return description["source_hash"].get<std::string>();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hashName(text));
  return hex;
}

void nnc::rt::saveCheckpoint(nnc_model *m, const std::string &path,
                             const Metadata &extra) {
  ordered_json header = ordered_json::object();
  size_t offset = 0;
  for (size_t i = 0; i < m->desc.variables.size(); ++i) {
    const VariableInfo &v = m->desc.variables[i];
    size_t bytes = m->variables[i].bytes;
    header[v.name] = {{"dtype", dtypeName(v.dtype)},
                      {"shape", v.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  ordered_json metadata = {{"model", m->desc.model},
                           {"step", std::to_string(m->step)},
                           {"seed", std::to_string(m->seed)},
                           {"source_hash", modelHash(m)}};
  for (const auto &[key, value] : extra)
    metadata[key] = value;
  header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');
  uint64_t length = text.size();

  AtomicFile file(path);
  file.write(&length, sizeof length);
  file.write(text);
  for (const Buffer &b : m->variables)
    file.write(b.data(), b.bytes);
  file.commit();
}

namespace {
/// A checkpoint file read whole and checked against a model.
struct CheckpointFile {
  std::string path;
  json header;
  std::vector<char> data; // the tensors' bytes
  Metadata metadata;

  [[noreturn]] void fail(const std::string &what) const {
    throw Error(path + ": " + what);
  }
  void read();
  void readMetadata();
  void checkLayout() const;
  void checkModel(const nnc_model *m) const;
  void checkFinite(const nnc_model *m) const;
  const char *tensor(const VariableInfo &v, size_t bytes) const;
  uint64_t integer(const char *key, uint64_t max) const;
};

/// The safetensors reference's cap on the header's length.
constexpr uint64_t kMaxHeader = 100'000'000;
} // namespace

void CheckpointFile::read() {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    throw Error("cannot read " + path + ": " + std::strerror(errno));
  uint64_t size = (uint64_t)in.tellg(), length = 0;
  in.seekg(0);
  if (size < 8 || !in.read(reinterpret_cast<char *>(&length), 8) ||
      length > size - 8)
    fail("not a safetensors file (the header length does not fit the "
         "file's " +
         std::to_string(size) + " bytes)");
  if (length > kMaxHeader)
    fail("its header of " + std::to_string(length) +
         " bytes is over safetensors' limit of " + std::to_string(kMaxHeader));
  std::string text(length, '\0');
  data.resize(size - 8 - length);
  if (!in.read(text.data(), length) || !in.read(data.data(), data.size()))
    fail("read error");
  // Duplicate names would leave one tensor unread: refused (the format
  // forbids them; JSON parsers keep one or the other).
  std::string duplicate;
  std::set<std::string> names;
  json::parser_callback_t noDuplicates = [&](int depth,
                                             json::parse_event_t event,
                                             json &parsed) {
    if (depth == 1 && event == json::parse_event_t::key &&
        !names.insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  header = json::parse(text, noDuplicates, /*allow_exceptions=*/false);
  if (!header.is_object())
    fail("not a safetensors file (its header is not a JSON object)");
  if (!duplicate.empty())
    fail("tensor '" + duplicate + "' appears twice in its header");
  readMetadata();
}

/// The reference loader's layout rules, after the model's own checks
/// (each entry a variable of the model, its dtype, shape and range size
/// those of the variable: tensor()): sorted by offset, the ranges start at
/// 0, neither overlap nor leave gaps, and end where the file ends.
void CheckpointFile::checkLayout() const {
  struct Range {
    uint64_t begin, end;
    std::string name;
  };
  std::vector<Range> ranges;
  // Every entry is a variable of the model whose dtype, shape and range
  // size tensor() has checked: here only their order and coverage.
  for (const auto &[name, t] : header.items())
    ranges.push_back({t["data_offsets"][0], t["data_offsets"][1], name});
  std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (const Range &r : ranges) {
    if (r.begin != at)
      fail("tensor '" + r.name + "' starts at byte " + std::to_string(r.begin) +
           " of the data, not at " + std::to_string(at) +
           (r.begin < at ? " (tensors overlap)" : " (a gap)"));
    at = r.end;
  }
  if (at != data.size())
    fail(at > data.size()
             ? "its tensors need " + std::to_string(at) +
                   " bytes of data, the file holds " +
                   std::to_string(data.size()) + " (truncated file?)"
             : "it holds " + std::to_string(data.size() - at) +
                   " bytes after its last tensor");
}

void CheckpointFile::readMetadata() {
  const json &meta = header.value("__metadata__", json::object());
  if (!meta.is_object())
    fail("malformed safetensors metadata");
  for (const auto &[key, value] : meta.items())
    if (value.is_string())
      metadata[key] = value.get<std::string>();
  header.erase("__metadata__");
  if (!metadata.count("model"))
    fail("not a checkpoint of an nnc model (no model name in its metadata)");
}

void CheckpointFile::checkModel(const nnc_model *m) const {
  const std::string &name = metadata.at("model");
  if (name != m->desc.model)
    throw Error(path + " is a checkpoint of model '" + name + "', not '" +
                m->desc.model + "'");
  auto hash = metadata.find("source_hash");
  std::string ours = modelHash(m);
  if (hash == metadata.end() || hash->second != ours)
    throw Error(path + " was saved by another version of model '" + name +
                "' (source hash " +
                (hash == metadata.end() ? "missing" : hash->second) +
                ", this model's is " + ours + ")");
  for (const auto &[key, value] : header.items())
    if (nnc_find_variable(m, key.c_str()) < 0)
      fail("tensor '" + key + "' is not a variable of model '" + name + "'");
}

/// The bytes of variable `v` in the file, after checking its entry.
const char *CheckpointFile::tensor(const VariableInfo &v, size_t bytes) const {
  if (!header.contains(v.name))
    fail("no tensor '" + v.name + "'");
  const json &t = header[v.name];
  if (!t.is_object())
    fail("tensor '" + v.name + "' is not described by a JSON object");
  std::string dtype = t.value("dtype", "");
  if (dtype != dtypeName(v.dtype))
    fail("tensor '" + v.name + "' is " + (dtype.empty() ? "untyped" : dtype) +
         ", the model's is " + dtypeName(v.dtype));
  json shape = t.value("shape", json());
  if (shape != json(v.shape))
    fail("tensor '" + v.name + "' has shape " + shape.dump() +
         ", the model's is " + json(v.shape).dump());
  json offsets = t.value("data_offsets", json());
  if (!offsets.is_array() || offsets.size() != 2 ||
      !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
    fail("tensor '" + v.name + "' has malformed data_offsets");
  uint64_t begin = offsets[0], end = offsets[1];
  if (begin > end || end > data.size() || end - begin != bytes)
    fail("tensor '" + v.name + "' has data_offsets [" + std::to_string(begin) +
         ", " + std::to_string(end) + "] for " + std::to_string(bytes) +
         " bytes in a data section of " + std::to_string(data.size()) +
         (end > data.size() ? " (truncated file?)" : ""));
  return data.data() + begin;
}

/// NaN or infinity in a floating-point variable: a diverged run's
/// parameters, which would evaluate to `loss nan` without a word.
void CheckpointFile::checkFinite(const nnc_model *m) const {
  for (size_t i = 0; i < m->desc.variables.size(); ++i) {
    const VariableInfo &v = m->desc.variables[i];
    if (v.dtype == NNC_I32)
      continue;
    const char *p = tensor(v, m->variables[i].bytes);
    size_t count = m->variables[i].bytes / (v.dtype == NNC_F64 ? 8 : 4);
    for (size_t e = 0; e < count; ++e) {
      double x;
      if (v.dtype == NNC_F64) {
        std::memcpy(&x, p + 8 * e, 8);
      } else {
        float f;
        std::memcpy(&f, p + 4 * e, 4);
        x = f;
      }
      if (!std::isfinite(x))
        fail("tensor '" + v.name + "' holds " +
             (std::isnan(x) ? "NaN" : x > 0 ? "inf" : "-inf") +
             " (element " + std::to_string(e) +
             "); a checkpoint with non-finite values is refused "
             "(--allow-nonfinite loads it)");
    }
  }
}

/// A decimal unsigned integer of the metadata, at most `max`.
uint64_t CheckpointFile::integer(const char *key, uint64_t max) const {
  auto it = metadata.find(key);
  if (it == metadata.end())
    fail(std::string("no ") + key + " in its metadata");
  const std::string &s = it->second;
  errno = 0;
  uint64_t v = std::strtoull(s.c_str(), nullptr, 10);
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos ||
      errno || v > max)
    fail(std::string("malformed ") + key + " '" + s + "' in its metadata");
  return v;
}

Metadata nnc::rt::loadCheckpoint(nnc_model *m, const std::string &path,
                                 bool allowNonFinite) {
  CheckpointFile file{path, {}, {}, {}};
  file.read();
  file.checkModel(m);
  std::vector<const char *> sources;
  for (size_t i = 0; i < m->desc.variables.size(); ++i)
    sources.push_back(file.tensor(m->desc.variables[i], m->variables[i].bytes));
  file.checkLayout();
  if (!allowNonFinite)
    file.checkFinite(m);
  int64_t step = (int64_t)file.integer("step", INT64_MAX);
  uint64_t seed = file.integer("seed", UINT64_MAX);
  for (size_t i = 0; i < sources.size(); ++i)
    std::memcpy(m->variables[i].data(), sources[i], m->variables[i].bytes);
  m->step = step;
  m->seed = seed;
  return file.metadata;
}

/// Runs `fn` for a C ABI function: exceptions become -1 and the last error.
template <typename Fn> static int reportErrors(nnc_model *m, Fn &&fn) {
  try {
    if (!m)
      throw Error("the model is NULL");
    fn();
    setLastError("");
    return 0;
  } catch (const std::exception &e) {
    setLastError(e.what());
    return -1;
  }
}

extern "C" int nnc_save(nnc_model *m, const char *path,
                        const char *metadata_json) {
  return reportErrors(m, [&] {
    if (!path)
      throw Error("the checkpoint path is NULL");
    Metadata extra;
    if (metadata_json) {
      json j = json::parse(metadata_json, nullptr, false);
      if (!j.is_object())
        throw Error("the checkpoint metadata is not a JSON object");
      for (const auto &[key, value] : j.items())
        extra[key] =
            value.is_string() ? value.get<std::string>() : value.dump();
    }
    saveCheckpoint(m, path, extra);
  });
}

extern "C" int nnc_load_flags(nnc_model *m, const char *path, int flags) {
  return reportErrors(m, [&] {
    if (!path)
      throw Error("the checkpoint path is NULL");
    if (flags & ~NNC_LOAD_ALLOW_NONFINITE)
      throw Error("unknown nnc_load_flags flags " + std::to_string(flags));
    loadCheckpoint(m, path, flags & NNC_LOAD_ALLOW_NONFINITE);
  });
}

extern "C" int nnc_load(nnc_model *m, const char *path) {
  return nnc_load_flags(m, path, 0);
}
