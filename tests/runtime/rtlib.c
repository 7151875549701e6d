/* A hand-written library implementing visgen's registration C ABI (SPEC section 3),
 * built by tests/runtime/conftest.py in several shapes selected with -D:
 *
 *   LIB=name          init/destroy are __<name>_init / __<name>_destroy (default: rt)
 *   OMIT_PUSH         the table lacks rt_push (a declared export)
 *   OMIT_PATTERNS     the table lacks every name the globs and C++ patterns match
 *   NO_REGISTRATION   no init/destroy at all: a plain `shared` variant
 *   NO_DESTROY        init only
 *   BAD_CTX           register_symbol gets a ctx other than the one init was given
 *   DUPLICATE         rt_add is registered twice at different addresses
 *   UNDEFINED         references a function nothing defines (dlopen fails)
 *
 * State: on-init allocates it, on-destroy frees it. When the environment variable
 * RT_LOG names a file, each hook appends a line to it, so a test sees the hooks ran even
 * after the library was unloaded. Only init and destroy have default visibility.
 */
#include <stdio.h>
#include <stdlib.h>

#ifndef LIB
#define LIB rt
#endif
#define CAT_(a, b, c) a##b##c
#define CAT(a, b, c) CAT_(a, b, c)
#define INIT CAT(__, LIB, _init)
#define DESTROY CAT(__, LIB, _destroy)
#define STR_(x) #x
#define STR(x) STR_(x)
#define EXPORT __attribute__((visibility("default")))

typedef void (*visgen_register_fn)(void *ctx, const char *name, void *address);

struct state {
  int values[64];
  int count;
};

static struct state *g_state;
static int g_init_calls;    /* since this mapping was loaded */
static int g_destroy_calls; /* since this mapping was loaded */
static int rt_version = 42; /* the data object */

static void log_line(const char *what) {
  const char *path = getenv("RT_LOG");
  if (path == NULL || *path == '\0') return;
  FILE *f = fopen(path, "a");
  if (f == NULL) return;
  fprintf(f, "%s %s\n", STR(LIB), what);
  fclose(f);
}

static void rt_startup(void) {
  g_state = calloc(1, sizeof *g_state);
  g_init_calls++;
  log_line("init");
}

static void rt_shutdown(void) {
  free(g_state);
  g_state = NULL;
  g_destroy_calls++;
  log_line("destroy");
}

static int rt_add(int a, int b) { return a + b; }
static int rt_add_other(int a, int b) { return a - b; }
static int rt_alive(void) { return g_state != NULL; }
static int rt_init_calls(void) { return g_init_calls; }
static int rt_destroy_calls(void) { return g_destroy_calls; }
static int rt_push(int v) {
  if (g_state == NULL || g_state->count == 64) return -1;
  g_state->values[g_state->count++] = v;
  return g_state->count;
}
static int rt_sum(void) {
  int s = 0;
  if (g_state == NULL) return -1;
  for (int i = 0; i < g_state->count; i++) s += g_state->values[i];
  return s;
}
static int rt_pat_a(void) { return 1; }
static int rt_pat_b(void) { return 2; }
static int widget_poke(void) { return 3; }

#ifdef UNDEFINED
extern int rt_function_nobody_defines(void);
int (*rt_keep_undefined)(void) = rt_function_nobody_defines;
#endif

#ifndef NO_REGISTRATION
EXPORT void INIT(visgen_register_fn register_symbol, void *ctx) {
#ifdef BAD_CTX
  ctx = (char *)ctx + 1;
#endif
  rt_startup();
  register_symbol(ctx, "rt_add", (void *)rt_add);
#ifdef DUPLICATE
  register_symbol(ctx, "rt_add", (void *)rt_add_other);
#else
  (void)rt_add_other;
#endif
  register_symbol(ctx, "rt_alive", (void *)rt_alive);
  register_symbol(ctx, "rt_init_calls", (void *)rt_init_calls);
  register_symbol(ctx, "rt_destroy_calls", (void *)rt_destroy_calls);
#ifndef OMIT_PUSH
  register_symbol(ctx, "rt_push", (void *)rt_push);
#endif
  register_symbol(ctx, "rt_sum", (void *)rt_sum);
  register_symbol(ctx, "rt_version", (void *)&rt_version);
#ifndef OMIT_PATTERNS
  register_symbol(ctx, "rt_pat_a", (void *)rt_pat_a);
  register_symbol(ctx, "rt_pat_b", (void *)rt_pat_b);
  /* rt::Widget::poke() -- the table is strings, so a C test can carry a C++ name */
  register_symbol(ctx, "_ZN2rt6Widget4pokeEv", (void *)widget_poke);
#else
  (void)rt_pat_a;
  (void)rt_pat_b;
  (void)widget_poke;
#endif
}

#ifndef NO_DESTROY
EXPORT void DESTROY(void) { rt_shutdown(); }
#endif
#else
/* the plain shared variant: the functions themselves are exported */
EXPORT int rt_add_exported(int a, int b) { return rt_add(a, b); }
#endif
