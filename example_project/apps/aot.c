/* An ahead-of-time C program using asyncrt's C API. CMakeLists.txt links it twice:
 * aot_static against asyncrt::static and aot_shared against asyncrt::shared.
 * It prints deterministic results and exits 0 only if every one is right. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "asyncrt/asyncrt.h"

#define TASKS 1000
#define QUEUED 10

static atomic_long g_sum;
static int g_failures;

static void add(void *arg) { atomic_fetch_add(&g_sum, (long)(size_t)arg); }

struct gate {
  asyncrt_token *started;
  asyncrt_token *release;
};

static void block(void *arg) {
  struct gate *g = arg;
  asyncrtTokenSignal(g->started);
  asyncrtTokenWait(g->release);
}

static void expect(const char *what, long long got, long long want) {
  printf("%-28s %lld\n", what, got);
  if (got != want) {
    fprintf(stderr, "aot: %s is %lld, expected %lld\n", what, got, want);
    g_failures++;
  }
}

int main(void) {
  printf("asyncrt_version             %s\n", asyncrt_version);
  if (strcmp(asyncrt_version, "1.1.0") != 0) g_failures++;

  /* the default runtime: workers start on first use */
  asyncrt_runtime *rt = asyncrtRuntimeDefault();
  expect("threads before first use", asyncrtRuntimeStartedThreads(rt), 0);
  for (size_t i = 1; i <= TASKS; i++) {
    if (asyncrtSubmit(rt, add, (void *)i, NULL) != 0) g_failures++;
  }
  asyncrtWait(rt);
  expect("sum of 1..1000", atomic_load(&g_sum), (long long)TASKS * (TASKS + 1) / 2);
  expect("completed", (long long)asyncrtCompletedCount(rt), TASKS);
  expect("threads started = count",
         asyncrtRuntimeStartedThreads(rt) == asyncrtRuntimeThreadCount(rt), 1);

  /* a token signalled when its task has run */
  asyncrt_token *done = asyncrtCreateToken();
  asyncrtSubmit(rt, add, (void *)(size_t)5, done);
  asyncrtTokenWait(done);
  expect("token ready", asyncrtTokenIsReady(done), 1);
  asyncrtDestroyToken(done);

  /* ASYNCRT_1.1: cancel what is still queued behind a blocked worker */
  asyncrt_runtime *one = asyncrtRuntimeCreate(1);
  struct gate g = {asyncrtCreateToken(), asyncrtCreateToken()};
  asyncrtSubmit(one, block, &g, NULL);
  asyncrtTokenWait(g.started);
  for (size_t i = 0; i < QUEUED; i++) asyncrtSubmit(one, add, (void *)(size_t)1000000, NULL);
  expect("cancelled", (long long)asyncrtCancel(one), QUEUED);
  asyncrtTokenSignal(g.release);
  asyncrtWait(one);
  expect("completed on one-thread rt", (long long)asyncrtCompletedCount(one), 1);
  asyncrtRuntimeDestroy(one);
  asyncrtDestroyToken(g.started);
  asyncrtDestroyToken(g.release);
  expect("sum after cancel", atomic_load(&g_sum), (long long)TASKS * (TASKS + 1) / 2 + 5);

  asyncrtShutdown(); /* join the default runtime's workers before exit */
  printf("aot: %s\n", g_failures == 0 ? "ok" : "FAILED");
  return g_failures == 0 ? 0 : 1;
}
