// A feed subscriber that records every call the hub makes, for tests of the
// fan-out. Header-only: it needs tsodso_feed, which the test binaries link.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "feed/hub.h"

namespace tsodso::testing {

class RecordingSubscriber : public feed::Subscriber {
 public:
  bool OnEvent(const feed::EventPtr& event) override {
    std::lock_guard lock(mu_);
    events_.push_back(event);
    cv_.notify_all();
    return false;
  }
  void OnHeartbeat(int64_t head_seq) override {
    std::lock_guard lock(mu_);
    heartbeats_.push_back(head_seq);
    cv_.notify_all();
  }
  void OnClose(const absl::Status& status) override {
    std::lock_guard lock(mu_);
    closes_.push_back(status);
    cv_.notify_all();
  }
  // Records the events from the hub's memory as it does live ones, unless
  // told to refuse them.
  bool OnRecent(absl::Span<const feed::EventPtr> events) override {
    std::lock_guard lock(mu_);
    ++recent_offers_;
    if (refuse_recent_) return false;
    events_.insert(events_.end(), events.begin(), events.end());
    cv_.notify_all();
    return true;
  }
  void RefuseRecent() {
    std::lock_guard lock(mu_);
    refuse_recent_ = true;
  }
  // How often the hub offered events from its memory.
  int recent_offers() const {
    std::lock_guard lock(mu_);
    return recent_offers_;
  }

  std::vector<int64_t> seqs() const {
    std::lock_guard lock(mu_);
    std::vector<int64_t> out;
    for (const auto& e : events_) out.push_back(e->seq);
    return out;
  }
  std::vector<feed::EventPtr> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<int64_t> heartbeats() const {
    std::lock_guard lock(mu_);
    return heartbeats_;
  }
  std::vector<absl::Status> closes() const {
    std::lock_guard lock(mu_);
    return closes_;
  }

  // Wait until at least `n` events arrived; false on timeout.
  bool WaitForEvents(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
  }
  bool WaitForHeartbeats(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return heartbeats_.size() >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<feed::EventPtr> events_;
  std::vector<int64_t> heartbeats_;
  std::vector<absl::Status> closes_;
  bool refuse_recent_ = false;
  int recent_offers_ = 0;
};

}  // namespace tsodso::testing
