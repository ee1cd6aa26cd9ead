/* Copy bandwidth of this machine, the denominator of the bench's "share of the bandwidth bound":
 * `copy-bandwidth <threads> <megabytes>` copies a buffer of that size into another with memcpy, split over the
 * threads, several times, and prints the best rate as bytes moved (read + written) per second. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slice { char *dst; const char *src; size_t bytes; };

static void *copy_slice(void *arg) {
  struct slice *s = arg;
  memcpy(s->dst, s->src, s->bytes);
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  size_t bytes = (size_t)(argc > 2 ? atol(argv[2]) : 1024) << 20;
  if (threads < 1 || threads > 256) return 2;
  char *src = malloc(bytes), *dst = malloc(bytes);
  if (!src || !dst) return 3;
  memset(src, 1, bytes);
  memset(dst, 2, bytes); /* fault every page in before timing */
  pthread_t ids[256];
  struct slice slices[256];
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = now();
    for (int i = 0; i < threads; i++) {
      size_t from = bytes / threads * i, to = i == threads - 1 ? bytes : bytes / threads * (i + 1);
      slices[i] = (struct slice){ dst + from, src + from, to - from };
      pthread_create(&ids[i], NULL, copy_slice, &slices[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    double t = now() - t0;
    if (t < best) best = t;
  }
  printf("{\"threads\":%d,\"bytes\":%zu,\"bytesPerSecond\":%.0f,\"check\":%d}\n", threads, bytes, 2.0 * bytes / best, dst[bytes - 1]);
  free(src);
  free(dst);
  return 0;
}
