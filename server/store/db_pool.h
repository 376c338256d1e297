// A small pool of worker threads, each with its own PostgreSQL connection,
// so that database work never runs on a gRPC callback thread.
#pragma once

#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/worker_pool.h"
#include "store/pg.h"

namespace tsodso::store {

class DbPool {
 public:
  // A task receives its worker's connection, reconnected if it was lost, or
  // the status that says why there is none: UNAVAILABLE (no database, or
  // the gateway is stopping) or RESOURCE_EXHAUSTED (the queue is full; the
  // task then runs at once on the caller's thread).
  using Task = std::function<void(absl::StatusOr<PgConnection*>)>;

  // At most `max_queue` tasks wait for a worker; every worker's connection
  // gets `session`.
  DbPool(std::string dsn, int workers, size_t max_queue = 4096, SessionOptions session = {});
  DbPool(const DbPool&) = delete;
  DbPool& operator=(const DbPool&) = delete;

  void Post(Task task);
  // Run `work` on a worker in one transaction and wait for its result: for
  // threads that may block (publishers, the compute pool), never for a
  // gRPC callback or a worker of this pool.
  template <typename T>
  absl::StatusOr<T> Run(std::function<absl::StatusOr<T>(PgConnection&)> work);
  // Finish queued tasks, then stop the workers.
  void Shutdown() { workers_.Shutdown(); }

 private:
  const std::string dsn_;
  const SessionOptions session_;
  runtime::WorkerPool<std::unique_ptr<PgConnection>> workers_;
};

template <typename T>
absl::StatusOr<T> DbPool::Run(std::function<absl::StatusOr<T>(PgConnection&)> work) {
  auto done = std::make_shared<std::promise<absl::StatusOr<T>>>();
  auto result = done->get_future();
  Post([&work, done](absl::StatusOr<PgConnection*> conn) {
    if (!conn.ok()) {
      done->set_value(conn.status());
      return;
    }
    std::optional<absl::StatusOr<T>> out;
    try {
      absl::Status st = InTransaction(**conn, [&]() -> absl::Status {
        out = work(**conn);
        return out->status();
      });
      done->set_value(st.ok() ? std::move(*out) : absl::StatusOr<T>(st));
    } catch (const std::exception& e) {
      // The waiting thread gets an answer, never a broken promise.
      done->set_value(absl::InternalError(std::string("database task failed: ") + e.what()));
    } catch (...) {
      done->set_value(absl::InternalError("database task failed with an unknown exception"));
    }
  });
  return result.get();
}

}  // namespace tsodso::store
