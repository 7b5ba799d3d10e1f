//===- Csv.cpp - CSV data sets --------------------------------------------===//
//
// A header row names the columns; every row has as many fields. Fields may
// be quoted ("a, b", "say ""hi"""), not across lines. The column named like
// the target holds the labels; the columns whose first value is a number
// are the features, in order; the others are text and left out. Numbers
// must be finite: NaN, infinities, empty fields and text in a numeric
// column are errors naming the file, line and column.
//
//===----------------------------------------------------------------------===//
#include "runtime/Model.h"
#include "runtime/main/Formats.h"
#include "runtime/main/GzFile.h"

#include <charconv>
#include <cstring>

using namespace nnc::exe;
using nnc::rt::Error;

bool nnc::exe::isCsv(const std::string &path) {
  auto endsWith = [&](const char *suffix) {
    size_t n = std::strlen(suffix);
    return path.size() >= n && path.compare(path.size() - n, n, suffix) == 0;
  };
  return endsWith(".csv") || endsWith(".csv.gz");
}

static std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/// Splits a line at commas outside quotes; false if a quote is left open.
static bool splitLine(const std::string &line,
                      std::vector<std::string> &fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"')
      field += line[++i];
    else if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      fields.push_back(trim(field)), field.clear();
    else
      field += c;
  }
  fields.push_back(trim(field));
  return !quoted;
}

/// Parses a whole field as a number (NaN and infinities included).
static bool parseNumber(const std::string &s, double &v) {
  const char *b = s.data(), *e = s.data() + s.size();
  if (b != e && *b == '+')
    ++b;
  auto [end, ec] = std::from_chars(b, e, v);
  return b != e && ec == std::errc() && end == e;
}

namespace {
/// The columns of a CSV file and what each one feeds.
struct Columns {
  std::vector<std::string> names;
  int label = -1;                // the target's column
  std::vector<int> features;     // numeric columns, in order
  std::vector<std::string> text; // left out

  std::string list(const std::vector<int> &which) const {
    std::string s;
    for (int i : which)
      s += (s.empty() ? "" : ", ") + names[i];
    return s;
  }
  std::string all() const {
    std::vector<int> every(names.size());
    for (size_t i = 0; i < every.size(); ++i)
      every[i] = (int)i;
    return list(every);
  }
};

/// Reads rows and reports errors at a line and column.
struct CsvReader {
  GzFile in;
  int64_t line = 0;
  size_t columns = 0; // the header's, once read
  std::string text;
  std::vector<std::string> fields;

  explicit CsvReader(const std::string &path) : in(path) {}
  const std::string &path() const { return in.path(); }
  bool next(); // the next non-blank row into `fields`
  [[noreturn]] void fail(const std::string &problem, const Columns &c,
                         int column) const {
    throw Error(problem + " in " + path() + " at line " + std::to_string(line) +
                ", column " + std::to_string(column + 1) + " ('" +
                c.names[column] + "')");
  }
  double number(const Columns &c, int column, const FieldSpec &spec) const;
};
} // namespace

bool CsvReader::next() {
  while (in.readLine(text)) {
    ++line;
    if (line == 1 && text.rfind("\xEF\xBB\xBF", 0) == 0)
      text.erase(0, 3); // a UTF-8 byte order mark
    if (trim(text).empty())
      continue;
    auto at = [&] { return path() + ":" + std::to_string(line) + ": "; };
    if (!splitLine(text, fields))
      throw Error(at() + "a quoted field is not closed");
    if (columns && fields.size() != columns)
      throw Error(at() + std::to_string(fields.size()) +
                  " fields, the header has " + std::to_string(columns));
    return true;
  }
  return false;
}

double CsvReader::number(const Columns &c, int column,
                         const FieldSpec &spec) const {
  const std::string &s = fields[column];
  double v;
  if (s.empty())
    fail("a missing value", c, column);
  if (!parseNumber(s, v))
    fail("'" + s + "' is not a number", c, column);
  if (!spec.fits(v))
    fail(spec.problem(v), c, column);
  return v;
}

/// Finds the label column and sorts the others by the first row's values.
static Columns classify(CsvReader &reader, const FieldSpec *y, bool labels) {
  Columns c;
  if (!reader.next())
    throw Error(reader.path() + " is empty (expected a header row)");
  c.names = reader.fields;
  reader.columns = c.names.size();
  for (size_t i = 0; i < c.names.size(); ++i)
    if (y && c.names[i] == y->name && c.label < 0)
      c.label = (int)i;
  if (labels && c.label < 0)
    throw Error(reader.path() + " has no column '" + y->name +
                "' for the target (its columns: " + c.all() + ")");
  if (!reader.next())
    throw Error(reader.path() + " has a header row but no data");
  double v;
  for (size_t i = 0; i < c.names.size(); ++i) {
    const std::string &s = reader.fields[i];
    if ((int)i == c.label)
      continue;
    if (s.empty() || parseNumber(s, v))
      c.features.push_back((int)i);
    else
      c.text.push_back(c.names[i]);
  }
  return c;
}

static void checkFit(const std::string &path, const Columns &c,
                     const FieldSpec &x, const FieldSpec *y, bool labels) {
  if (labels && y->width != 1)
    throw Error(path + ": column '" + y->name + "' holds one value a sample, " +
                y->role + " '" + y->name + "' " + y->type + " takes " +
                std::to_string(y->width));
  if ((int64_t)c.features.size() == x.width)
    return;
  std::string skipped;
  for (const std::string &t : c.text)
    skipped += (skipped.empty() ? "; text columns left out: " : ", ") + t;
  throw Error(path + ": its " + std::to_string(c.features.size()) +
              " feature columns (" + c.list(c.features) + ") do not fit " +
              x.role + " '" + x.name + "' " + x.type + ", which takes " +
              std::to_string(x.width) + " values a sample" + skipped);
}

Split nnc::exe::readCsv(const std::string &path, const FieldSpec &x,
                        const FieldSpec *y, bool labels) {
  CsvReader reader(path);
  Columns c = classify(reader, y, labels);
  checkFit(path, c, x, y, labels);
  Split split;
  split.x = Field{x.dtype, x.width, {}};
  if (labels)
    split.y = Field{y->dtype, 1, {}};
  do {
    for (int i : c.features)
      split.x.append(reader.number(c, i, x));
    if (labels)
      split.y.append(reader.number(c, c.label, *y));
  } while (reader.next());
  return split;
}
