// asyncrt::Runtime: a worker pool whose threads start on the first submit.
#include "asyncrt/runtime.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "token.hpp"

namespace asyncrt {
namespace detail {

struct Job {
  asyncrt_task_fn fn;
  void *arg;
  asyncrt_token *done;
};

// A worker wraps its std::thread so that std::vector's members are instantiated over a
// type of this library: they get its hidden visibility. (std::vector<std::thread>'s out-of-
// line members would be weak STV_DEFAULT symbols in the static archive, and `visgen check
// --variant static` rightly reports them: a DSO linking the archive would re-export them.)
struct Worker {
  std::thread thread;
};

struct Pool {
  explicit Pool(unsigned n) : size(n) {}

  const unsigned size;
  mutable std::mutex mutex;
  std::condition_variable work_cv;  // a job was queued, or stopping
  std::condition_variable idle_cv;  // pending reached zero
  std::deque<Job> queue;
  std::vector<Worker> workers;  // empty until the first submit
  std::size_t pending = 0;           // queued + running
  std::uint64_t completed = 0;
  bool stopping = false;

  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex);
        work_cv.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping, and the queue is drained
        job = queue.front();
        queue.pop_front();
      }
      job.fn(job.arg);
      if (job.done != nullptr) job.done->signal();
      finish(1, 1);
    }
  }

  void finish(std::size_t count, std::uint64_t ran) {
    std::lock_guard<std::mutex> lock(mutex);
    pending -= count;
    completed += ran;
    if (pending == 0) idle_cv.notify_all();
  }
};

}  // namespace detail

namespace {
unsigned pickThreads(unsigned requested) {
  if (requested != 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return std::clamp(hw, 1u, 8u);
}
}  // namespace

Runtime::Runtime(unsigned num_threads) : pool_(new detail::Pool(pickThreads(num_threads))) {}

Runtime::~Runtime() {
  shutdown();
  delete pool_;
}

bool Runtime::submit(Task fn, void *arg, asyncrt_token *done) {
  detail::Pool &p = *pool_;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    if (p.stopping) return false;
    if (p.workers.empty()) {  // first use: start the workers
      p.workers.reserve(p.size);
      for (unsigned i = 0; i < p.size; ++i) p.workers.push_back({std::thread([&p] { p.work(); })});
    }
    p.queue.push_back(detail::Job{fn, arg, done});
    ++p.pending;
  }
  p.work_cv.notify_one();
  return true;
}

void Runtime::wait() {
  detail::Pool &p = *pool_;
  std::unique_lock<std::mutex> lock(p.mutex);
  p.idle_cv.wait(lock, [&p] { return p.pending == 0; });
}

std::size_t Runtime::cancel() {
  detail::Pool &p = *pool_;
  std::deque<detail::Job> dropped;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    dropped.swap(p.queue);
  }
  for (const detail::Job &job : dropped) {
    if (job.done != nullptr) job.done->signal();
  }
  if (!dropped.empty()) p.finish(dropped.size(), 0);
  return dropped.size();
}

void Runtime::shutdown() {
  detail::Pool &p = *pool_;
  std::vector<detail::Worker> workers;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.stopping = true;
    workers.swap(p.workers);
  }
  p.work_cv.notify_all();
  for (detail::Worker &w : workers) w.thread.join();  // the workers drain the queue first
  // No workers ever started (or they are gone): the queue holds only tasks submitted
  // before any worker ran; run nothing more, but release their waiters.
  cancel();
}

unsigned Runtime::threadCount() const { return pool_->size; }

unsigned Runtime::startedThreads() const {
  std::lock_guard<std::mutex> lock(pool_->mutex);
  return static_cast<unsigned>(pool_->workers.size());
}

std::uint64_t Runtime::completed() const {
  std::lock_guard<std::mutex> lock(pool_->mutex);
  return pool_->completed;
}

}  // namespace asyncrt
