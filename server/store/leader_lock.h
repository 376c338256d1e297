// One replica at a time for work that must not be done twice (publishing
// flexibility and forecasts): a PostgreSQL session advisory lock held on a
// connection of its own. When the holder's process or connection dies,
// PostgreSQL releases the lock and another replica takes it on its next
// try.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "store/pg.h"

namespace tsodso::store {

// The lock key of the replica that publishes flexibility and forecasts.
inline constexpr int64_t kPublisherLockKey = 0x74736f64736f01;  // "tsodso", 1

class LeaderLock {
 public:
  LeaderLock(std::string dsn, int64_t key, SessionOptions session = {});
  LeaderLock(const LeaderLock&) = delete;
  LeaderLock& operator=(const LeaderLock&) = delete;

  // Return whether this process holds the lock, taking it when it is free.
  // Checks that the session is alive, so a holder that lost its database
  // connection stops acting as one.
  // Sets tsodso_publisher_lock_held.
  bool Hold();

 private:
  // Hold() with mu_ held; Hold() reports the outcome as a metric.
  bool TryHold();
  const std::string dsn_;
  const int64_t key_;
  const SessionOptions session_;
  std::mutex mu_;
  std::unique_ptr<PgConnection> conn_;
  bool held_ = false;
};

}  // namespace tsodso::store
