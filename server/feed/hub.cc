#include "feed/hub.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "feed/feed_metrics.h"

namespace tsodso::feed {

FeedHub::~FeedHub() { heartbeats_.Stop(); }

void FeedHub::StartHeartbeats(absl::Duration interval) {
  heartbeats_.Start({.name = "feed heartbeats", .period = interval}, [this](std::stop_token) { SendHeartbeats(); });
}

void FeedHub::SendHeartbeats() {
  std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (e.live) e.subscriber->OnHeartbeat(head_);
  }
}

absl::Status FeedHub::Register(std::shared_ptr<Subscriber> subscriber, const std::string& owner, size_t max_per_owner) {
  std::lock_guard lock(mu_);
  if (closed_) return absl::UnavailableError("gateway is shutting down");
  size_t& open = per_owner_[owner];
  if (max_per_owner > 0 && open >= max_per_owner) {
    return absl::ResourceExhaustedError(
        absl::StrCat(owner, " has ", open, " subscriptions open, the most allowed per party"));
  }
  entries_.push_back(Entry{std::move(subscriber), owner, false});
  ++open;
  return absl::OkStatus();
}

bool FeedHub::TryGoLive(Subscriber* subscriber, int64_t scanned_seq) {
  std::lock_guard lock(mu_);
  if (closed_ || scanned_seq < head_) return false;
  for (Entry& e : entries_) {
    if (e.subscriber.get() == subscriber) {
      e.live = true;
      return true;
    }
  }
  return false;
}

void FeedHub::Unregister(Subscriber* subscriber) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [subscriber](const Entry& e) { return e.subscriber.get() == subscriber; });
  if (it == entries_.end()) return;
  if (auto owner = per_owner_.find(it->owner); owner != per_owner_.end() && --owner->second == 0) {
    per_owner_.erase(owner);
  }
  entries_.erase(it);
}

void FeedHub::SetHead(int64_t seq) {
  std::lock_guard lock(mu_);
  head_ = std::max(head_, seq);
}

int64_t FeedHub::head() const {
  std::lock_guard lock(mu_);
  return head_;
}

void FeedHub::Dispatch(const std::vector<EventPtr>& events) {
  const FeedMetrics& metrics = FeedMetrics::Get();
  std::lock_guard lock(mu_);
  for (const EventPtr& ev : events) {
    if (ev->seq <= head_) continue;
    head_ = ev->seq;
    metrics.head_seq.Set(static_cast<double>(head_));
    metrics.Committed(ev->envelope.topic).Increment();
    for (Entry& e : entries_) {
      if (e.live) e.subscriber->OnEvent(ev);
    }
  }
}

void FeedHub::CloseAll(const absl::Status& status) {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (Entry& e : entries_) {
    e.live = false;
    e.subscriber->OnClose(status);
  }
}

size_t FeedHub::CloseUnentitled() {
  std::lock_guard lock(mu_);
  size_t closed = 0;
  for (Entry& e : entries_) {
    if (e.closed) continue;
    if (absl::Status why = e.subscriber->StillEntitled(); !why.ok()) {
      // Its entry goes when the stream is done (Unregister).
      e.live = false;
      e.closed = true;
      e.subscriber->OnClose(why);
      ++closed;
    }
  }
  return closed;
}

size_t FeedHub::subscriber_count() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace tsodso::feed
