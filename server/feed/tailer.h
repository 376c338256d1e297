// Follows the event log through PostgreSQL LISTEN/NOTIFY and hands every
// newly committed event to the hub, in order. Because it learns of events
// through the database, events written by another gateway replica on the
// same database reach this replica's subscribers too.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "feed/hub.h"
#include "store/pg.h"

namespace tsodso::feed {

class EventTailer {
 public:
  struct Options {
    int page = 1000;
    // Read the log even without a notification this often: a safety net
    // that bounds delay if a notification is ever lost with a connection.
    absl::Duration safety_poll = absl::Seconds(2);
    absl::Duration max_backoff = absl::Seconds(5);
    // Settings of the listening connection (statement timeout).
    store::SessionOptions session;
    // When set, each event's StoredEvent::wire, encoded here once rather
    // than by every stream that writes it.
    std::function<std::string(const core::StoredEvent&)> encode;
  };

  EventTailer(std::string dsn, FeedHub& hub, Options options);
  ~EventTailer();

  // Connect, LISTEN, and set the hub's head to the last committed seq.
  absl::Status Start();
  void Stop();

 private:
  absl::Status Connect();
  absl::Status CatchUp();
  void Run();

  std::string dsn_;
  FeedHub& hub_;
  Options options_;
  std::unique_ptr<store::PgConnection> conn_;
  std::atomic<bool> stop_{false};
  int wake_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace tsodso::feed
