//===- Batches.h - batches, running means and evaluation --------*- C++ -*-===//
#ifndef NNC_RUNTIME_MAIN_BATCHES_H
#define NNC_RUNTIME_MAIN_BATCHES_H

#include "runtime/Model.h"
#include "runtime/main/Data.h"
#include "runtime/main/Distributed.h"

namespace nnc::exe {

/// Gathers samples of some fields, by index, into reused batch buffers.
class Batcher {
public:
  Batcher(std::vector<const Field *> fields, int64_t capacity);
  void gather(const int64_t *indices, int64_t n);
  /// The batch of field `i`, as the pointer array the C ABI takes.
  const void *const *at(size_t i) const { return &pointers[i]; }

private:
  std::vector<const Field *> fields;
  std::vector<rt::Buffer> buffers;
  std::vector<const void *> pointers;
};

/// Sample-weighted means of the loss and the metrics over batches.
class Averages {
public:
  explicit Averages(const nnc_model *m);
  /// `results` as nnc_train_step/nnc_eval_step fill them.
  void add(const std::vector<double> &results, int64_t samples);
  double mean(size_t i) const { return samples ? sums[i] / samples : 0; }
  /// "loss 0.4123  accuracy 0.8512", each name after `prefix` ("val_").
  std::string format(const std::string &prefix = "") const;
  /// The sums of all processes of a data-parallel run, in every process.
  void sumOver(Communicator &c);
  /// The names of the values, after `prefix` ("val_loss", ...).
  std::vector<std::string> names(const std::string &prefix = "") const;

private:
  const nnc_model *m;
  std::vector<double> sums;
  int64_t samples = 0;
};

/// The results vector nnc_train_step/nnc_eval_step fill.
inline std::vector<double> resultSlots(const nnc_model *m) {
  return std::vector<double>(1 + nnc_num_metrics(m));
}

/// Throws the runtime's last error if a C ABI call failed.
void check(int status);

/// Sequential indices 0..n-1.
std::vector<int64_t> identityOrder(int64_t n);

/// The loss and metrics of `split`, in batches of `batch`; in a
/// data-parallel run each process evaluates its share of the samples and
/// every process gets the means of all.
Averages evaluate(nnc_model *m, const Split &split, int64_t batch);

} // namespace nnc::exe

#endif // NNC_RUNTIME_MAIN_BATCHES_H
