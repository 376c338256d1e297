#include "store/db_pool.h"

namespace tsodso::store {

DbPool::DbPool(std::string dsn, int workers) : dsn_(std::move(dsn)) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
}

DbPool::~DbPool() { Shutdown(); }

void DbPool::Post(Task task) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(task));
      cv_.notify_one();
      return;
    }
  }
  task(absl::UnavailableError("gateway is shutting down"));
}

void DbPool::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void DbPool::Work() {
  std::unique_ptr<PgConnection> conn;
  while (true) {
    Task task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    absl::Status connected = absl::OkStatus();
    if (!conn) {
      auto opened = PgConnection::Open(dsn_);
      if (opened.ok()) {
        conn = std::move(*opened);
      } else {
        connected = opened.status();
      }
    } else {
      connected = conn->EnsureConnected();
    }
    if (connected.ok()) {
      try {
        task(conn.get());
      } catch (...) {
        // A task must not throw; if one does, drop its connection rather
        // than reuse one in an unknown state.
        conn.reset();
      }
    } else {
      task(connected);
    }
  }
}

}  // namespace tsodso::store
