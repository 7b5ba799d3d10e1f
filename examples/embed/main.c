/* Embedding a model compiled by nnc in a C program.
 *
 *   nnc ../mlp.nn --emit=obj,header -o mlp      # writes mlp.o and mlp.h
 *   cc -O2 main.c mlp.o -o classify -lstdc++ -lm -lz \
 *      -L/usr/lib/llvm-19/lib -Wl,-rpath,/usr/lib/llvm-19/lib -lomp
 *   ./classify
 *
 * (make does the same.) The model is freshly initialized here; a trained
 * one would be loaded from a checkpoint instead. */
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
