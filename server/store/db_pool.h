// A small pool of worker threads, each with its own PostgreSQL connection,
// so that database work never runs on a gRPC callback thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "store/pg.h"

namespace tsodso::store {

class DbPool {
 public:
  // A task receives its worker's connection, reconnected if it was lost, or
  // the UNAVAILABLE status that says why there is none.
  using Task = std::function<void(absl::StatusOr<PgConnection*>)>;

  DbPool(std::string dsn, int workers);
  ~DbPool();
  DbPool(const DbPool&) = delete;
  DbPool& operator=(const DbPool&) = delete;

  void Post(Task task);
  // Finish queued tasks, then stop the workers.
  void Shutdown();

 private:
  void Work();

  const std::string dsn_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tsodso::store
