#include "store/db_pool.h"

namespace tsodso::store {

DbPool::DbPool(std::string dsn, int workers, size_t max_queue, SessionOptions session)
    : dsn_(std::move(dsn)), session_(session), workers_("database pool", workers, max_queue) {}

void DbPool::Post(Task task) {
  auto shared = std::make_shared<Task>(std::move(task));
  absl::Status queued = workers_.Post([this, shared](std::unique_ptr<PgConnection>& conn) {
    absl::Status connected = absl::OkStatus();
    if (!conn) {
      auto opened = PgConnection::Open(dsn_, session_);
      if (opened.ok()) {
        conn = std::move(*opened);
      } else {
        connected = opened.status();
      }
    } else {
      connected = conn->EnsureConnected();
    }
    // A task that throws loses its connection (the pool starts the worker's
    // state afresh) rather than leave one in an unknown state.
    if (connected.ok()) {
      (*shared)(conn.get());
    } else {
      (*shared)(connected);
    }
  });
  if (!queued.ok()) (*shared)(queued);
}

}  // namespace tsodso::store
