/*===- nnc_runtime.h - the C ABI of models compiled by nnc -------*- C -*-===//
 *
 * A compiled model exports one table, `<model>_def`; the runtime creates a
 * model state from it that owns the parameters and state tensors. Every
 * function returns 0 on success and -1 on failure (then nnc_last_error()
 * says why), unless stated otherwise. Tensors are dense, row-major; the
 * first dimension of inputs, targets and outputs is the batch.
 *
 * The model-specific header written by `nnc --emit=header` includes this
 * text and adds typed wrappers named after the model.
 *===----------------------------------------------------------------------===*/
#ifndef NNC_RUNTIME_H
#define NNC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The calling convention of compiled entry points: `buffers` holds one
 * pointer per tensor, in the order of the model's description. */
typedef void (*nnc_entry_fn)(int64_t batch, void **buffers);

/* What `nnc --emit=obj|lib` exports as `<model>_def`. */
typedef struct nnc_model_def {
  int64_t abi_version;     /* NNC_ABI_VERSION */
  const char *description; /* JSON: variables, inputs, outputs, ... */
  nnc_entry_fn predict;
  nnc_entry_fn train_step; /* NULL for a model without a loss */
  nnc_entry_fn eval_step;
  nnc_entry_fn gradients; /* the loss and d loss / d each parameter */
} nnc_model_def;

#define NNC_ABI_VERSION 3

enum nnc_dtype { NNC_F32 = 0, NNC_F64 = 1, NNC_I32 = 2 };
enum nnc_variable_kind { NNC_PARAM = 0, NNC_STATE = 1, NNC_OPTIMIZER = 2 };

typedef struct nnc_model nnc_model;

/* Creates a model state (parameters zeroed; call nnc_init). NULL on error. */
nnc_model *nnc_create(const nnc_model_def *def);
void nnc_destroy(nnc_model *model);
/* The last error of this thread ("" if none). */
const char *nnc_last_error(void);

/* Initializes every variable from `seed`, with the initializers of the
 * model (Glorot uniform by default, as Keras; optimizer slots are zeros),
 * and restarts the step count; the seed also drives dropout masks. */
int nnc_init(nnc_model *model, uint64_t seed);

/* Inference on `batch` samples: `inputs[i]` points to the i-th input,
 * `outputs[i]` to room for the i-th output (batch * per-sample elements). */
int nnc_predict(nnc_model *model, int64_t batch, const void *const *inputs,
                void *const *outputs);

/* The loss on a batch and its gradient with respect to every trainable
 * variable: `targets[i]` points to the i-th target, `loss` to room for one
 * value, `grads[k]` to room for the k-th trainable variable (in table
 * order, skipping state). Nothing is updated. */
int nnc_gradients(nnc_model *model, int64_t batch, const void *const *inputs,
                  const void *const *targets, void *loss, void *const *grads);

/* One training step on a batch: forward, backward and the optimizer's
 * update of the parameters and optimizer state (in place), with the running
 * statistics (batchnorm) moved too. `results` receives the batch's loss and
 * then each metric (1 + nnc_num_metrics values). Steps are counted from 1
 * (nnc_step); dropout masks come from the init seed and the step. */
int nnc_train_step(nnc_model *model, int64_t batch, const void *const *inputs,
                   const void *const *targets, double *results);

/* The loss and metrics on a batch in inference mode (dropout off, running
 * statistics); nothing is updated. `results` as for nnc_train_step. */
int nnc_eval_step(nnc_model *model, int64_t batch, const void *const *inputs,
                  const void *const *targets, double *results);

/* The metrics' names, as in the model ("accuracy"...). */
int nnc_num_metrics(const nnc_model *model);
const char *nnc_metric_name(const nnc_model *model, int index);

/* The learning rate of the next steps (default: the model's train block). */
int nnc_set_learning_rate(nnc_model *model, double lr);
double nnc_learning_rate(const nnc_model *model);
/* Steps taken so far (0 after nnc_create/nnc_init); settable to resume. */
int64_t nnc_step(const nnc_model *model);
int nnc_set_step(nnc_model *model, int64_t step);

/* The model's train block as JSON (batch, epochs, optimizer, seed, ...). */
const char *nnc_train_settings(const nnc_model *model);

/* Checkpoints in safetensors format: every variable (parameters, state,
 * optimizer slots "optimizer.<slot>.<param>") under its name; metadata holds
 * the model name, the step, a hash of the model and `metadata_json`'s
 * string pairs (may be NULL). Written atomically (temp file, fsync, rename).
 * nnc_load refuses a file of another model, with missing/misshapen
 * tensors, that breaks the format (overlapping or gapped tensors, bytes
 * after the last, duplicate names) or that holds NaN or infinity, leaving
 * the model unchanged; nnc_load_flags(m, path, NNC_LOAD_ALLOW_NONFINITE)
 * accepts non-finite values. */
#define NNC_LOAD_ALLOW_NONFINITE 1
int nnc_save(nnc_model *model, const char *path, const char *metadata_json);
int nnc_load(nnc_model *model, const char *path);
int nnc_load_flags(nnc_model *model, const char *path, int flags);

/* Threads used by compiled code (OpenMP); 0 restores the default. */
int nnc_set_threads(int threads);

/* The model's name and interface. */
const char *nnc_model_name(const nnc_model *model);
/* Where the compiled code runs: "cpu", or "cuda" (nnc --target=cuda: the
 * variables live in CUDA managed memory, which the host may read and
 * write between calls; inputs and outputs are ordinary host memory). */
const char *nnc_device(const nnc_model *model);
int nnc_num_inputs(const nnc_model *model);
int nnc_num_outputs(const nnc_model *model);
int nnc_num_targets(const nnc_model *model);
const char *nnc_target_name(const nnc_model *model, int index);
int64_t nnc_target_size(const nnc_model *model, int index);
int nnc_target_dtype(const nnc_model *model, int index);
const char *nnc_input_name(const nnc_model *model, int index);
const char *nnc_output_name(const nnc_model *model, int index);
/* Elements per sample of an input or output. */
int64_t nnc_input_size(const nnc_model *model, int index);
int64_t nnc_output_size(const nnc_model *model, int index);
int nnc_input_dtype(const nnc_model *model, int index);
int nnc_output_dtype(const nnc_model *model, int index);

/* The variable table: parameters (trainable), state (e.g. batchnorm
 * running statistics) named as in the .nn language, then the optimizer's
 * slots ("optimizer.<slot>.<param>"). */
int nnc_num_variables(const nnc_model *model);
const char *nnc_variable_name(const nnc_model *model, int index);
int nnc_variable_trainable(const nnc_model *model, int index);
/* NNC_PARAM, NNC_STATE (running statistics, normalize's data statistics)
 * or NNC_OPTIMIZER (optimizer slots, e.g. Adam's moments). */
int nnc_variable_kind(const nnc_model *model, int index);
int nnc_variable_dtype(const nnc_model *model, int index);
int nnc_variable_rank(const nnc_model *model, int index);
const int64_t *nnc_variable_shape(const nnc_model *model, int index);
int64_t nnc_variable_size(const nnc_model *model, int index);
/* The variable's data, owned by the model; readable and writable. */
void *nnc_variable_data(nnc_model *model, int index);
/* The index of the variable called `name`, or -1. */
int nnc_find_variable(const nnc_model *model, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* NNC_RUNTIME_H */
