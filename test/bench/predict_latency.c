/* Times <model>_predict of examples/MODEL.nn (compiled with
 * --emit=obj,header; MODEL is mlp or lstm: 784 inputs and 10 outputs a
 * sample) at one batch size and thread count: the best of 5 rounds of
 * REPS calls on the same input. Built and run by predict.sh, which
 * includes the model's header (-include MODEL.h -DMODEL=MODEL).
 *   predict_latency THREADS BATCH [REPS] */
#ifndef MODEL
#error "build with -DMODEL=<name> -include <name>.h"
#endif
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s THREADS BATCH [REPS]\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[1]), batch = atoi(argv[2]);
  int reps = argc > 3 ? atoi(argv[3]) : 20000 / batch + 10;
  nnc_model *m = CAT(MODEL, _create)();
  if (!m || nnc_init(m, 1) != 0 || nnc_set_threads(threads) != 0) {
    fprintf(stderr, "%s\n", nnc_last_error());
    return 1;
  }
  float *x = malloc(sizeof(float) * batch * 784);
  float *p = malloc(sizeof(float) * batch * 10);
  for (int i = 0; i < batch * 784; ++i)
    x[i] = (float)(i % 255);
  for (int i = 0; i < 100; ++i)
    CAT(MODEL, _predict)(m, batch, x, p);
  double best = 1e9;
  for (int r = 0; r < 5; ++r) {
    double t0 = now();
    for (int i = 0; i < reps; ++i)
      CAT(MODEL, _predict)(m, batch, x, p);
    double t = (now() - t0) / reps;
    if (t < best)
      best = t;
  }
  printf("%d %d %.3f\n", threads, batch, best * 1e6);
  return 0;
}
