#include "feed/tailer.h"

#include <poll.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "spdlog/spdlog.h"
#include "store/event_store.h"

namespace tsodso::feed {
namespace {

// Whether a notification announces an event after `head` (its payload is
// the last seq its transaction committed). The hub's head only moves over
// contiguous events, so a notification at or below it needs no read: this
// replica's group commit has handed its events over already.
bool AnnouncesBeyond(const std::vector<std::string>& notes, int64_t head) {
  for (const std::string& note : notes) {
    int64_t last = 0;
    if (!absl::SimpleAtoi(note, &last) || last > head) return true;
  }
  return false;
}

}  // namespace

EventTailer::EventTailer(std::string dsn, FeedHub& hub, Options options)
    : dsn_(std::move(dsn)), hub_(hub), options_(options) {
  if (pipe(wake_pipe_) != 0) wake_pipe_[0] = wake_pipe_[1] = -1;
}

EventTailer::~EventTailer() {
  Stop();
  if (wake_pipe_[0] >= 0) close(wake_pipe_[0]);
  if (wake_pipe_[1] >= 0) close(wake_pipe_[1]);
}

absl::Status EventTailer::Connect() {
  auto conn = store::PgConnection::Open(dsn_, options_.session);
  if (!conn.ok()) return conn.status();
  if (auto r = (*conn)->Exec(absl::StrCat("LISTEN ", store::kEventChannel)); !r.ok()) return r.status();
  conn_ = std::move(*conn);
  return absl::OkStatus();
}

absl::Status EventTailer::Start() {
  TSODSO_RETURN_IF_ERROR(Connect());
  auto head = store::HeadSeq(*conn_);
  if (!head.ok()) return head.status();
  hub_.SetHead(*head);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void EventTailer::Stop() {
  if (stop_.exchange(true)) return;
  if (wake_pipe_[1] >= 0) (void)!write(wake_pipe_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  conn_.reset();  // close before a private cluster is stopped after us
}

absl::Status EventTailer::CatchUp() {
  while (true) {
    auto events = store::ReadEventsAfter(*conn_, hub_.head(), options_.page);
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::OkStatus();
    std::vector<EventPtr> batch;
    batch.reserve(events->size());
    for (auto& e : *events) {
      if (options_.encode) e.wire = options_.encode(e);
      batch.push_back(std::make_shared<const core::StoredEvent>(std::move(e)));
    }
    hub_.Dispatch(batch);
    if (static_cast<int>(batch.size()) < options_.page) return absl::OkStatus();
  }
}

void EventTailer::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  bool need_catch_up = true;
  bool was_down = false;
  while (!stop_) {
    if (!conn_ || !conn_->healthy()) {
      conn_.reset();
      if (auto st = Connect(); !st.ok()) {
        if (!was_down) spdlog::warn("event log follower lost the database: {}; retrying", std::string(st.message()));
        was_down = true;
        pollfd pfd{wake_pipe_[0], POLLIN, 0};
        poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(backoff)));
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      if (was_down) spdlog::info("event log follower reconnected to the database");
      was_down = false;
      backoff = absl::Milliseconds(100);
      need_catch_up = true;
    }
    if (need_catch_up) {
      if (auto st = CatchUp(); !st.ok()) {
        spdlog::warn("event log follower: {}; retrying", std::string(st.message()));
        pollfd pfd{wake_pipe_[0], POLLIN, 0};
        poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(backoff)));
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      backoff = absl::Milliseconds(100);
      need_catch_up = false;
    }
    pollfd fds[2] = {{conn_->socket(), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int n = poll(fds, 2, static_cast<int>(absl::ToInt64Milliseconds(options_.safety_poll)));
    if (stop_) break;
    if (n == 0) {
      need_catch_up = true;
      continue;
    }
    auto notes = conn_->DrainNotifications();
    if (!notes.ok()) continue;  // connection lost: reconnect above
    need_catch_up = notes->empty() ? (fds[0].revents & POLLIN) != 0 : AnnouncesBeyond(*notes, hub_.head());
  }
}

}  // namespace tsodso::feed
