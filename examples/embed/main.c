/* Embedding a model compiled by nnc in a C program.
 *
 *   nnc ../mlp.nn --emit=obj,header -o mlp      # writes mlp.o and mlp.h
 *   cc -O2 main.c mlp.o -o classify -lstdc++ -lm -lz \
 *      -L/usr/lib/llvm-19/lib -Wl,-rpath,/usr/lib/llvm-19/lib -lomp
 *   ./classify
 *
 * (make does the same.) The model is initialized, trained for a few steps
 * on stand-in data, saved as a safetensors checkpoint and loaded into a
 * second model state, which then classifies. */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>

int main(void) {
  nnc_model *model = mlp_create();
  if (!model || nnc_init(model, 42) != 0) {
    fprintf(stderr, "cannot create the model: %s\n", nnc_last_error());
    return 1;
  }

  enum { BATCH = 5, PIXELS = 28 * 28, CLASSES = 10 };
  float *images = malloc(sizeof(float) * BATCH * PIXELS);
  float probs[BATCH * CLASSES];
  for (int i = 0; i < BATCH * PIXELS; ++i)
    images[i] = (float)((i * 7919) % 256); /* stand-in pixels, 0..255 */

  /* A few training steps on one batch: the loss goes down. */
  int32_t labels[BATCH] = {0, 1, 2, 3, 4};
  double results[2]; /* the loss, then the accuracy metric */
  for (int step = 1; step <= 20; ++step) {
    if (mlp_train_step(model, BATCH, images, labels, results) != 0) {
      fprintf(stderr, "train step failed: %s\n", nnc_last_error());
      return 1;
    }
    if (step == 1 || step == 20)
      printf("step %d: loss %.4f accuracy %.2f\n", step, results[0],
             results[1]);
  }

  /* Checkpoint, and a second state loaded from it. */
  nnc_model *loaded = mlp_create();
  if (nnc_save(model, "mlp.safetensors", NULL) != 0 || !loaded ||
      nnc_load(loaded, "mlp.safetensors") != 0) {
    fprintf(stderr, "checkpoint failed: %s\n", nnc_last_error());
    return 1;
  }
  nnc_destroy(model);
  model = loaded;

  if (mlp_predict(model, BATCH, images, probs) != 0) {
    fprintf(stderr, "predict failed: %s\n", nnc_last_error());
    return 1;
  }
  for (int b = 0; b < BATCH; ++b) {
    int best = 0;
    float total = 0;
    for (int c = 0; c < CLASSES; ++c) {
      total += probs[b * CLASSES + c];
      if (probs[b * CLASSES + c] > probs[b * CLASSES + best])
        best = c;
    }
    printf("sample %d: class %d (p=%.3f, sum of p=%.3f)\n", b, best,
           probs[b * CLASSES + best], total);
  }

  /* The parameter table. */
  for (int i = 0; i < nnc_num_variables(model); ++i)
    printf("variable %s: %lld values\n", nnc_variable_name(model, i),
           (long long)nnc_variable_size(model, i));
  free(images);
  nnc_destroy(model);
  return 0;
}
