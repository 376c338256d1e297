// Subscribes in a background thread and keeps what arrives; resubscribes
// after the last seq when the stream ends, as a well-behaved client does.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "lib/client.h"
#include "support/gateway_process.h"

namespace tsodso::testing {

class FeedCollector {
 public:
  // `on_event` (optional) runs on the reader thread before an event is
  // stored; a slow one makes a slow consumer.
  FeedCollector(const GatewayProcess& gateway, const std::string& who, v1::SubscribeRequest request,
                bool reconnect = true, std::function<void(const v1::Event&)> on_event = nullptr,
                int receive_window_bytes = 0);
  ~FeedCollector();

  // Wait until at least n events (not heartbeats) have arrived.
  bool WaitForEvents(size_t n, int timeout_ms = 20000);
  bool WaitForHeartbeat(int timeout_ms = 5000);
  // Wait until a stream has ended with a non-OK status; return it.
  absl::Status WaitForStreamEnd(int timeout_ms = 20000);
  std::vector<v1::Event> events() const;
  std::vector<int64_t> seqs() const;
  std::vector<absl::Status> stream_ends() const;
  void Stop();

 private:
  void Run(v1::SubscribeRequest request, bool reconnect);

  std::unique_ptr<client::Client> client_;
  std::function<void(const v1::Event&)> on_event_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<v1::Event> events_;
  std::vector<absl::Status> ends_;
  int heartbeats_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tsodso::testing
