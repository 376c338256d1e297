#include "feed/hub.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "feed/feed_metrics.h"

namespace tsodso::feed {
namespace {

// What an event holds in memory, near enough for the recent events' bound.
size_t Footprint(const core::StoredEvent& e) {
  return sizeof(core::StoredEvent) + e.payload.size() + e.wire.size() + e.envelope.pcc_id.size() +
         e.envelope.recipient_party_id.size();
}

}  // namespace

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

FeedHub::Entry* FeedHub::FindLocked(const Subscriber* subscriber) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [subscriber](const Entry& e) { return e.subscriber.get() == subscriber; });
  return it == entries_.end() ? nullptr : &*it;
}

bool FeedHub::TryGoLive(Subscriber* subscriber, int64_t scanned_seq) {
  std::lock_guard lock(mu_);
  if (closed_ || scanned_seq < head_) return false;
  Entry* entry = FindLocked(subscriber);
  if (entry == nullptr) return false;
  entry->live = true;
  return true;
}

bool FeedHub::TryResumeFromMemory(Subscriber* subscriber, int64_t resume_after_seq) {
  std::lock_guard lock(mu_);
  if (closed_ || resume_after_seq < recent_floor_ || resume_after_seq > head_) return false;
  Entry* entry = FindLocked(subscriber);
  if (entry == nullptr || entry->closed) return false;
  const auto kept = recent_.begin() + static_cast<std::ptrdiff_t>(recent_begin_);
  const auto first = std::upper_bound(kept, recent_.end(), resume_after_seq,
                                      [](int64_t seq, const EventPtr& e) { return seq < e->seq; });
  const absl::Span<const EventPtr> after(recent_.data() + (first - recent_.begin()),
                                         static_cast<size_t>(recent_.end() - first));
  if (!subscriber->OnRecent(after)) return false;
  entry->live = true;
  return true;
}

void FeedHub::Unregister(Subscriber* subscriber) {
  std::lock_guard lock(mu_);
  Entry* entry = FindLocked(subscriber);
  if (entry == nullptr) return;
  if (auto owner = per_owner_.find(entry->owner); owner != per_owner_.end() && --owner->second == 0) {
    per_owner_.erase(owner);
  }
  entries_.erase(entries_.begin() + (entry - entries_.data()));
}

void FeedHub::SetHead(int64_t seq) {
  std::lock_guard lock(mu_);
  if (seq <= head_) return;
  // The events up to `seq` were not dispatched here: the recent ones no
  // longer reach the head, and a resume before `seq` reads the log.
  head_ = seq;
  recent_.clear();
  recent_begin_ = 0;
  recent_bytes_ = 0;
  recent_floor_ = seq;
}

void FeedHub::RememberLocked(const EventPtr& event) {
  recent_.push_back(event);
  recent_bytes_ += Footprint(*event);
  while (recent_begin_ < recent_.size() &&
         (recent_.size() - recent_begin_ > limits_.events || recent_bytes_ > limits_.bytes)) {
    ForgetOldestLocked();
  }
  // Compact once the dropped slots are as many as the kept events (and not
  // just a few): each event is moved at most once on average.
  if (recent_begin_ >= 64 && recent_begin_ >= recent_.size() - recent_begin_) {
    recent_.erase(recent_.begin(), recent_.begin() + static_cast<std::ptrdiff_t>(recent_begin_));
    recent_begin_ = 0;
  }
}

void FeedHub::ForgetOldestLocked() {
  EventPtr& oldest = recent_[recent_begin_++];
  recent_bytes_ -= Footprint(*oldest);
  recent_floor_ = oldest->seq;
  oldest.reset();
}

int64_t FeedHub::head() const {
  std::lock_guard lock(mu_);
  return head_;
}

void FeedHub::DispatchLocked(const EventPtr& event, Drains& drains) {
  const FeedMetrics& metrics = FeedMetrics::Get();
  head_ = event->seq;
  RememberLocked(event);
  metrics.head_seq.Set(static_cast<double>(head_));
  metrics.Committed(event->envelope.topic).Increment();
  for (Entry& e : entries_) {
    if (e.live && e.subscriber->OnEvent(event)) drains.push_back(e.subscriber);
  }
}

void FeedHub::RunDrains(Drains drains) {
  if (drains.empty()) return;
  auto drain = [drains = std::move(drains)] {
    for (const auto& s : drains) s->Drain();
  };
  if (run_drains_) {
    run_drains_(std::move(drain));
  } else {
    drain();
  }
}

void FeedHub::Dispatch(const std::vector<EventPtr>& events) {
  Drains drains;
  {
    std::lock_guard lock(mu_);
    for (const EventPtr& ev : events) {
      if (ev->seq > head_) DispatchLocked(ev, drains);
    }
  }
  RunDrains(std::move(drains));
}

bool FeedHub::DispatchNext(const std::vector<EventPtr>& events) {
  if (events.empty()) return false;
  Drains drains;
  {
    std::lock_guard lock(mu_);
    int64_t expected = head_ + 1;
    for (const EventPtr& ev : events) {
      if (ev->seq != expected++) return false;
    }
    for (const EventPtr& ev : events) DispatchLocked(ev, drains);
  }
  FeedMetrics::Get().handed_over.Increment(static_cast<double>(events.size()));
  RunDrains(std::move(drains));
  return true;
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
