#include "support/feed_collector.h"

#include <chrono>

namespace tsodso::testing {

FeedCollector::FeedCollector(const GatewayProcess& gateway, const std::string& who, v1::SubscribeRequest request,
                             bool reconnect, std::function<void(const v1::Event&)> on_event, int receive_window_bytes)
    : client_(gateway.ClientAs(who, receive_window_bytes)), on_event_(std::move(on_event)) {
  thread_ = std::thread([this, request, reconnect] { Run(request, reconnect); });
}

FeedCollector::~FeedCollector() { Stop(); }

void FeedCollector::Stop() {
  stop_ = true;
  if (client_) client_->Cancel();
  if (thread_.joinable()) thread_.join();
}

void FeedCollector::Run(v1::SubscribeRequest request, bool reconnect) {
  int64_t last = request.resume_after_seq();
  while (!stop_) {
    request.set_resume_after_seq(last);
    absl::Status st = client_->Subscribe(request, [&](const v1::Event& e) {
      if (e.has_heartbeat()) {
        std::lock_guard lock(mu_);
        ++heartbeats_;
        cv_.notify_all();
        return !stop_;
      }
      if (on_event_) on_event_(e);
      std::lock_guard lock(mu_);
      events_.push_back(e);
      last = e.seq();
      cv_.notify_all();
      return !stop_;
    });
    {
      std::lock_guard lock(mu_);
      if (!st.ok()) ends_.push_back(st);
      cv_.notify_all();
    }
    if (!reconnect || stop_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool FeedCollector::WaitForEvents(size_t n, int timeout_ms) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return events_.size() >= n; });
}

bool FeedCollector::WaitForHeartbeat(int timeout_ms) {
  std::unique_lock lock(mu_);
  const int before = heartbeats_;
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return heartbeats_ > before; });
}

absl::Status FeedCollector::WaitForStreamEnd(int timeout_ms) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !ends_.empty(); })) {
    return absl::DeadlineExceededError("the stream did not end");
  }
  return ends_.front();
}

std::vector<v1::Event> FeedCollector::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<int64_t> FeedCollector::seqs() const {
  std::lock_guard lock(mu_);
  std::vector<int64_t> out;
  for (const auto& e : events_) out.push_back(e.seq());
  return out;
}

std::vector<absl::Status> FeedCollector::stream_ends() const {
  std::lock_guard lock(mu_);
  return ends_;
}

}  // namespace tsodso::testing
