// asyncrt: the C++ class behind the C API. Its members are exported through the
// `cxx = ["asyncrt::Runtime::*"]` pattern of visgen.toml.
#ifndef ASYNCRT_RUNTIME_HPP
#define ASYNCRT_RUNTIME_HPP

#include <cstddef>
#include <cstdint>

#include "asyncrt/asyncrt.h"

namespace asyncrt {

namespace detail {
struct Pool;  // hidden: only Runtime's members are exported
}  // namespace detail

// A pool of worker threads started on the first submit and joined by shutdown() or the
// destructor. Not copyable, not movable; every member is thread-safe.
class ASYNCRT_EXPORT Runtime {
 public:
  using Task = asyncrt_task_fn;

  // num_threads == 0: as many as hardware threads, at most 8.
  explicit Runtime(unsigned num_threads = 0);
  ~Runtime();
  Runtime(const Runtime &) = delete;
  Runtime &operator=(const Runtime &) = delete;

  // Queues fn(arg); signals done (if not null) after it ran or was cancelled.
  // False once shutdown has begun.
  bool submit(Task fn, void *arg, asyncrt_token *done = nullptr);
  // Blocks until every task submitted so far has finished.
  void wait();
  // Drops queued tasks (signalling their tokens); returns how many.
  std::size_t cancel();
  // Runs the queued tasks, stops and joins the workers; idempotent.
  void shutdown();

  unsigned threadCount() const;
  unsigned startedThreads() const;
  std::uint64_t completed() const;

 private:
  detail::Pool *pool_;
};

}  // namespace asyncrt

#endif  // ASYNCRT_RUNTIME_HPP
