// asyncrt internals: the one-shot event behind asyncrt_token (not installed).
#ifndef ASYNCRT_SRC_TOKEN_HPP
#define ASYNCRT_SRC_TOKEN_HPP

#include <condition_variable>
#include <mutex>

struct asyncrt_token {
  mutable std::mutex mutex;
  std::condition_variable ready_cv;
  bool ready = false;

  void signal() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ready = true;
    }
    ready_cv.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex);
    ready_cv.wait(lock, [this] { return ready; });
  }
  bool isReady() const {
    std::lock_guard<std::mutex> lock(mutex);
    return ready;
  }
};

#endif  // ASYNCRT_SRC_TOKEN_HPP
