//===- Idx.cpp - IDX files (MNIST's format) -------------------------------===//
//
// http://yann.lecun.com/exdb/mnist/: two zero bytes, a type code, the
// number of dimensions, each dimension as a big-endian u32, then the
// elements, big-endian, row-major.
//
//===----------------------------------------------------------------------===//
#include "runtime/Model.h"
#include "runtime/main/Formats.h"
#include "runtime/main/GzFile.h"

#include <cstring>

using namespace nnc::exe;
using nnc::rt::Error;

namespace {
/// An IDX type code's element size and decoding to double.
struct IdxType {
  int code;
  size_t size;
  double (*decode)(const unsigned char *);
};

uint64_t bigEndian(const unsigned char *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v = v << 8 | p[i];
  return v;
}
template <typename T, typename Bits> double decodeAs(const unsigned char *p) {
  Bits bits = (Bits)bigEndian(p, sizeof(Bits));
  T v;
  std::memcpy(&v, &bits, sizeof v);
  return (double)v;
}
const IdxType kTypes[] = {
    {0x08, 1, decodeAs<uint8_t, uint8_t>},
    {0x09, 1, decodeAs<int8_t, uint8_t>},
    {0x0B, 2, decodeAs<int16_t, uint16_t>},
    {0x0C, 4, decodeAs<int32_t, uint32_t>},
    {0x0D, 4, decodeAs<float, uint32_t>},
    {0x0E, 8, decodeAs<double, uint64_t>},
};
} // namespace

static const IdxType &idxType(const std::string &path, int code) {
  for (const IdxType &t : kTypes)
    if (t.code == code)
      return t;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", code);
  throw Error(path + ": unknown IDX data type " + hex);
}

/// "28x28 (784 values)" for the dims after the first ("28x28" for a
/// width of 0: not known).
static std::string sampleShape(const std::vector<int64_t> &dims,
                               int64_t width) {
  if (dims.size() < 2)
    return "single values";
  std::string s;
  for (size_t i = 1; i < dims.size(); ++i)
    s += (i > 1 ? "x" : "") + std::to_string(dims[i]);
  return width > 0 ? s + " (" + std::to_string(width) + " values)" : s;
}

static std::vector<int64_t> readDims(GzFile &in, int rank) {
  std::vector<unsigned char> bytes(4 * rank);
  if (in.read(bytes.data(), bytes.size()) != bytes.size())
    throw Error(in.path() + " is truncated: its header ends early");
  std::vector<int64_t> dims;
  for (int i = 0; i < rank; ++i)
    dims.push_back((int64_t)bigEndian(&bytes[4 * i], 4));
  return dims;
}

Field nnc::exe::readIdx(const std::string &path, const FieldSpec &spec) {
  GzFile in(path);
  unsigned char magic[4];
  if (in.read(magic, 4) != 4 || magic[0] != 0 || magic[1] != 0 || magic[3] == 0)
    throw Error(path + " is not an IDX file (wrong magic number)");
  const IdxType &type = idxType(path, magic[2]);
  std::vector<int64_t> dims = readDims(in, magic[3]);
  // A header is only a claim: sizes are checked (no overflow, no more
  // than the file can hold) before anything is allocated by them.
  int64_t count = dims[0], width = 1;
  for (size_t i = 1; i < dims.size(); ++i)
    if (__builtin_mul_overflow(width, dims[i], &width))
      throw Error(path + ": its header's sample shape " +
                  sampleShape(dims, 0) + " overflows");
  if (width != spec.width)
    throw Error(path + ": its samples are " + sampleShape(dims, width) + ", " +
                spec.role + " '" + spec.name + "' " + spec.type + " takes " +
                std::to_string(spec.width) + " values a sample");

  uint64_t bytes = 0, headerBytes = 4 + 4 * dims.size(),
           room = in.maxBytes() - std::min(in.maxBytes(), headerBytes);
  if (__builtin_mul_overflow((uint64_t)count, (uint64_t)width * type.size,
                             &bytes) ||
      bytes > room)
    throw Error(path + " is truncated: its header promises " +
                std::to_string(count) + " samples of " +
                std::to_string(width) + " values, more than its " +
                std::to_string(in.fileSize()) + " bytes" +
                (in.compressed() ? " of gzip data" : "") + " can hold");
  Field field{spec.dtype, spec.width, {}};
  field.reserve(std::min<int64_t>(count, 1 << 16)); // the header may lie
  std::vector<unsigned char> chunk(type.size * width);
  std::vector<double> values(width);
  for (int64_t s = 0; s < count; ++s) {
    if (in.read(chunk.data(), chunk.size()) != chunk.size())
      throw Error(path + " is truncated: its header promises " +
                  std::to_string(count) + " samples, it holds " +
                  std::to_string(s));
    for (int64_t e = 0; e < width; ++e) {
      double v = type.decode(&chunk[e * type.size]);
      if (!spec.fits(v))
        throw Error(spec.problem(v) + " in " + path + " at sample " +
                    std::to_string(s));
      values[e] = v;
    }
    field.appendSample(values.data());
  }
  char extra;
  if (in.read(&extra, 1) != 0)
    throw Error(path + " holds more data than the " + std::to_string(count) +
                " samples its header promises");
  return field;
}
