// asyncrt's C API, the default runtime, and the on-init/on-destroy hooks.
#include <mutex>
#include <new>

#include "asyncrt/asyncrt.h"
#include "asyncrt/runtime.hpp"
#include "token.hpp"

struct asyncrt_runtime {
  asyncrt::Runtime impl;
  explicit asyncrt_runtime(unsigned n) : impl(n) {}
};

namespace {
// The default runtime is a heap object, deliberately not a static one: a static object's
// destructor would run at exit or at dlclose, in no fixed order with the other libraries'
// and while the loader lock is held, which is exactly where joining threads goes wrong.
// asyncrtShutdown (the registered build's destroy) is the one place it is torn down.
std::mutex g_default_mutex;
asyncrt_runtime *g_default = nullptr;
}  // namespace

extern "C" {

const char asyncrt_version[] = "1.1.0";

// on-init hook (visgen.toml: registration.on-init): called by the registered build's init.
// Creates the default runtime; its threads start with the first task.
void asyncrt_startup(void) {
  std::lock_guard<std::mutex> lock(g_default_mutex);
  if (g_default == nullptr) g_default = new asyncrt_runtime(0);
}

// on-destroy hook (registration.on-destroy): runs the queued tasks, joins the workers.
void asyncrt_shutdown(void) {
  asyncrt_runtime *rt = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_default_mutex);
    rt = g_default;
    g_default = nullptr;
  }
  delete rt;
}

asyncrt_runtime *asyncrtRuntimeDefault(void) {
  asyncrt_startup();  // ahead-of-time programs get it on first use
  std::lock_guard<std::mutex> lock(g_default_mutex);
  return g_default;
}

asyncrt_runtime *asyncrtRuntimeCreate(unsigned num_threads) {
  return new (std::nothrow) asyncrt_runtime(num_threads);
}

void asyncrtRuntimeDestroy(asyncrt_runtime *rt) { delete rt; }

unsigned asyncrtRuntimeThreadCount(const asyncrt_runtime *rt) { return rt->impl.threadCount(); }

unsigned asyncrtRuntimeStartedThreads(const asyncrt_runtime *rt) {
  return rt->impl.startedThreads();
}

int asyncrtSubmit(asyncrt_runtime *rt, asyncrt_task_fn fn, void *arg, asyncrt_token *done) {
  return rt->impl.submit(fn, arg, done) ? 0 : -1;
}

void asyncrtWait(asyncrt_runtime *rt) { rt->impl.wait(); }

asyncrt_token *asyncrtCreateToken(void) { return new (std::nothrow) asyncrt_token(); }

void asyncrtTokenSignal(asyncrt_token *token) { token->signal(); }

void asyncrtTokenWait(asyncrt_token *token) { token->wait(); }

int asyncrtTokenIsReady(const asyncrt_token *token) { return token->isReady() ? 1 : 0; }

void asyncrtDestroyToken(asyncrt_token *token) { delete token; }

void asyncrtShutdown(void) { asyncrt_shutdown(); }

size_t asyncrtCancel(asyncrt_runtime *rt) { return rt->impl.cancel(); }

uint64_t asyncrtCompletedCount(const asyncrt_runtime *rt) { return rt->impl.completed(); }

}  // extern "C"
