//===- CheckpointTest.cpp - nnc_save / nnc_load ---------------------------===//
#include "runtime/Checkpoint.h"
#include "test/runtime/FakeModels.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

using json = nlohmann::json;

namespace {

struct Model {
  explicit Model(const nnc_model_def &def, uint64_t seed = 1)
      : m(nnc_create(&def)) {
    EXPECT_NE(m, nullptr) << nnc_last_error();
    EXPECT_EQ(nnc_init(m, seed), 0);
  }
  ~Model() { nnc_destroy(m); }
  operator nnc_model *() const { return m; }
  nnc_model *m;
};

/// All variables' bytes, in table order.
std::string contents(nnc_model *m) {
  std::string bytes;
  for (int i = 0; i < nnc_num_variables(m); ++i)
    bytes.append(static_cast<const char *>(nnc_variable_data(m, i)),
                 nnc_variable_size(m, i) * 4);
  return bytes;
}

/// A few SGD steps of fake_mnist on made-up images, to move the momentum.
void trainMnist(nnc_model *m, int steps) {
  std::vector<float> images(8 * 784);
  std::vector<int32_t> labels(8);
  for (size_t i = 0; i < images.size(); ++i)
    images[i] = (float)((i * 37) % 256);
  for (int i = 0; i < 8; ++i)
    labels[i] = i;
  const void *inputs[] = {images.data()}, *targets[] = {labels.data()};
  double results[2];
  for (int s = 0; s < steps; ++s)
    ASSERT_EQ(nnc_train_step(m, 8, inputs, targets, results), 0)
        << nnc_last_error();
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// Rewrites a safetensors file with its header changed by `edit`.
void editHeader(const std::string &path, void (*edit)(json &)) {
  std::string bytes = readFile(path);
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  json header = json::parse(bytes.substr(8, n));
  edit(header);
  std::string text = header.dump();
  uint64_t length = text.size();
  writeFile(path,
            std::string((const char *)&length, 8) + text + bytes.substr(8 + n));
}

std::vector<std::string> filesIn(const std::string &dir) {
  std::vector<std::string> names;
  DIR *d = opendir(dir.c_str());
  while (dirent *e = readdir(d))
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
      names.push_back(e->d_name);
  closedir(d);
  return names;
}

class Checkpoint : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/nnc-checkpoint-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir = pattern;
    path = dir + "/model.safetensors";
  }
  void TearDown() override { std::system(("rm -rf '" + dir + "'").c_str()); }
  /// Expects nnc_load to fail with `message` in its error, leaving `m` be.
  void expectRefused(nnc_model *m, const std::string &message) {
    std::string before = contents(m);
    int64_t step = nnc_step(m);
    EXPECT_EQ(nnc_load(m, path.c_str()), -1);
    EXPECT_NE(std::string(nnc_last_error()).find(message), std::string::npos)
        << nnc_last_error();
    EXPECT_NE(std::string(nnc_last_error()).find(path), std::string::npos)
        << nnc_last_error();
    EXPECT_EQ(contents(m), before);
    EXPECT_EQ(nnc_step(m), step);
  }
  std::string dir, path;
};

TEST_F(Checkpoint, RoundTripsVariablesStepSeedAndMetadata) {
  Model a(fake_mnist_def, 5);
  trainMnist(a, 3);
  ASSERT_EQ(nnc_save(a, path.c_str(), R"({"epoch": 4, "note": "hi"})"), 0)
      << nnc_last_error();
  Model b(fake_mnist_def, 99);
  ASSERT_EQ(nnc_load(b, path.c_str()), 0) << nnc_last_error();
  EXPECT_EQ(contents(b), contents(a));
  EXPECT_EQ(nnc_step(b), 3);
  EXPECT_STREQ(nnc_last_error(), "");

  Model c(fake_mnist_def);
  nnc::rt::Metadata meta = nnc::rt::loadCheckpoint(c, path);
  EXPECT_EQ(meta["model"], "fake_mnist");
  EXPECT_EQ(meta["step"], "3");
  EXPECT_EQ(meta["seed"], "5");
  EXPECT_EQ(meta["source_hash"], "fake-mnist-1");
  EXPECT_EQ(meta["epoch"], "4");
  EXPECT_EQ(meta["note"], "hi");
  // The seed drives dropout: a resumed model takes the same next step.
  trainMnist(a, 1);
  trainMnist(c, 1);
  EXPECT_EQ(contents(c), contents(a));
}

TEST_F(Checkpoint, AnIndependentReaderSeesTheVariables) {
  Model m(fake_mnist_def, 3);
  trainMnist(m, 2);
  ASSERT_EQ(nnc_save(m, path.c_str(), R"({"epoch": "1"})"), 0);
  // The variables, dumped through the C ABI, for a numpy-only reader.
  json manifest = json::array();
  for (int i = 0; i < nnc_num_variables(m); ++i) {
    const int64_t *shape = nnc_variable_shape(m, i);
    manifest.push_back({{"name", nnc_variable_name(m, i)},
                        {"shape", std::vector<int64_t>(
                                      shape, shape + nnc_variable_rank(m, i))},
                        {"file", std::to_string(i) + ".bin"}});
    writeFile(dir + "/" + std::to_string(i) + ".bin",
              std::string(static_cast<const char *>(nnc_variable_data(m, i)),
                          nnc_variable_size(m, i) * 4));
  }
  writeFile(dir + "/variables.json", manifest.dump());
  std::string command = std::string(NNC_PYTHON) + " " + NNC_SAFETENSORS_CHECK +
                        " " + path + " " + dir + "/variables.json";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

TEST_F(Checkpoint, RefusesAnotherModel) {
  Model tabular(fake_tabular_def);
  ASSERT_EQ(nnc_save(tabular, path.c_str(), nullptr), 0);
  Model m(fake_mnist_def);
  expectRefused(m, path + " is a checkpoint of model 'fake_tabular', not "
                          "'fake_mnist'");
}

TEST_F(Checkpoint, RefusesAnotherVersionOfTheModel) {
  Model v1(fake_mnist_def);
  ASSERT_EQ(nnc_save(v1, path.c_str(), nullptr), 0);
  Model v2(fake_mnist_v2_def);
  expectRefused(v2, "was saved by another version of model 'fake_mnist' "
                    "(source hash fake-mnist-1, this model's is fake-mnist-2)");
}

TEST_F(Checkpoint, HashesTheDescriptionWithoutASourceHash) {
  Model a(fake_tabular_def);
  std::string hash = nnc::rt::modelHash(a);
  EXPECT_EQ(hash.size(), 16u);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  ASSERT_EQ(nnc_save(a, path.c_str(), nullptr), 0);
  Model b(fake_tabular_def, 2);
  EXPECT_EQ(nnc_load(b, path.c_str()), 0) << nnc_last_error();
}

TEST_F(Checkpoint, RefusesDamagedFiles) {
  Model m(fake_mnist_def, 8);
  trainMnist(m, 1);
  ASSERT_EQ(nnc_save(m, path.c_str(), nullptr), 0);
  std::string good = readFile(path);
  Model other(fake_mnist_def, 9);

  writeFile(path, good.substr(0, good.size() - 100));
  expectRefused(other, "(truncated file?)");
  writeFile(path, good.substr(0, 5));
  expectRefused(other, "not a safetensors file");
  writeFile(path, std::string("\xff\xff\xff\xff\0\0\0\0", 8) + good);
  expectRefused(other, "not a safetensors file");
  writeFile(path, good.substr(0, 8) + std::string(good.size() - 8, 'x'));
  expectRefused(other, "its header is not a JSON object");
  ASSERT_EQ(unlink(path.c_str()), 0);
  expectRefused(other, "No such file or directory");

  auto edits = std::vector<std::pair<void (*)(json &), std::string>>{
      {[](json &h) { h["dense.bias"]["shape"] = {11}; },
       "tensor 'dense.bias' has shape [11], the model's is [10]"},
      {[](json &h) { h["dense.bias"]["dtype"] = "F64"; },
       "tensor 'dense.bias' is F64, the model's is F32"},
      {[](json &h) { h.erase("dense.bias"); }, "no tensor 'dense.bias'"},
      {[](json &h) { h["dense.bias"] = 7; },
       "tensor 'dense.bias' is not described by a JSON object"},
      {[](json &h) { h["extra"] = h["dense.bias"]; },
       "tensor 'extra' is not a variable of model 'fake_mnist'"},
      {[](json &h) { h["__metadata__"]["step"] = "-1"; },
       "malformed step '-1' in its metadata"},
      {[](json &h) { h["__metadata__"].erase("model"); },
       "not a checkpoint of an nnc model"},
  };
  for (auto &[edit, message] : edits) {
    writeFile(path, good);
    editHeader(path, edit);
    expectRefused(other, message);
  }
}

// NaN or infinity in a variable: refused by nnc_load (a diverged run's
// parameters), accepted by nnc_load_flags with NNC_LOAD_ALLOW_NONFINITE.
TEST_F(Checkpoint, NonFiniteValuesNeedAFlag) {
  Model m(fake_mnist_def, 8);
  ASSERT_EQ(nnc_save(m, path.c_str(), nullptr), 0);
  std::string bytes = readFile(path);
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  json header = json::parse(bytes.substr(8, n));
  uint64_t begin = header["dense.bias"]["data_offsets"][0];
  float inf = INFINITY;
  bytes.replace(8 + n + begin + 4 * 3, 4, (const char *)&inf, 4);
  writeFile(path, bytes);
  Model other(fake_mnist_def, 9);
  expectRefused(other, "tensor 'dense.bias' holds inf (element 3)");
  EXPECT_EQ(nnc_load_flags(other, path.c_str(), 2), -1);
  EXPECT_STREQ(nnc_last_error(), "unknown nnc_load_flags flags 2");
  ASSERT_EQ(nnc_load_flags(other, path.c_str(), NNC_LOAD_ALLOW_NONFINITE), 0)
      << nnc_last_error();
  int bias = nnc_find_variable(other, "dense.bias");
  ASSERT_GE(bias, 0);
  EXPECT_TRUE(std::isinf(((const float *)nnc_variable_data(other, bias))[3]));
}

TEST_F(Checkpoint, AFailedSaveLeavesTheOldFileAndNoTemporary) {
  Model m(fake_mnist_def, 4);
  ASSERT_EQ(nnc_save(m, path.c_str(), nullptr), 0);
  std::string good = readFile(path);
  trainMnist(m, 1);
  // Writes past 4 KiB fail (EFBIG) instead of raising SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old;
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit small = old;
  small.rlim_cur = 4096;
  setrlimit(RLIMIT_FSIZE, &small);
  int status = nnc_save(m, path.c_str(), nullptr);
  std::string error = nnc_last_error();
  setrlimit(RLIMIT_FSIZE, &old);
  EXPECT_EQ(status, -1);
  EXPECT_NE(error.find("cannot write " + path), std::string::npos) << error;
  EXPECT_EQ(readFile(path), good);
  EXPECT_EQ(filesIn(dir), std::vector<std::string>{"model.safetensors"});

  std::string missing = dir + "/no/such/folder/model.safetensors";
  EXPECT_EQ(nnc_save(m, missing.c_str(), nullptr), -1);
  EXPECT_NE(std::string(nnc_last_error()).find("cannot write " + missing),
            std::string::npos)
      << nnc_last_error();
}

TEST_F(Checkpoint, RejectsMalformedMetadataArguments) {
  Model m(fake_mnist_def);
  EXPECT_EQ(nnc_save(m, path.c_str(), "[1, 2]"), -1);
  EXPECT_STREQ(nnc_last_error(),
               "the checkpoint metadata is not a JSON object");
  EXPECT_EQ(nnc_save(nullptr, path.c_str(), nullptr), -1);
  EXPECT_EQ(nnc_load(m, nullptr), -1);
}

} // namespace
