// Fan-out of committed events to the subscribers of this gateway process.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "feed/subscriber_queue.h"
#include "runtime/periodic_task.h"

namespace tsodso::feed {

// What the hub needs of a subscriber. Every call but Drain is made with the
// hub's lock held and must return quickly: queue, never block, never call
// the hub.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // A committed event, in strict seq order, once the subscriber is live.
  // True when the subscriber wants Drain called once the hub's lock is
  // released (say, to start writing what it queued while it was idle).
  virtual bool OnEvent(const EventPtr& event) = 0;
  // Called after a dispatch, without the hub's lock, when OnEvent asked.
  virtual void Drain() {}
  // The feed is quiet; `head_seq` is the last dispatched seq.
  virtual void OnHeartbeat(int64_t head_seq) = 0;
  // The gateway is going away; end the stream with this status.
  virtual void OnClose(const absl::Status& status) = 0;
  // Whether the subscriber may still receive the feed (its party still
  // registered, its certificate still valid); the status says why not.
  virtual absl::Status StillEntitled() { return absl::OkStatus(); }
  // The committed events after the subscriber's resume point, in seq order,
  // from the hub's memory instead of the log (possibly none: it resumed at
  // the head). Returning true takes them all and makes the subscriber live,
  // so OnEvent follows with the next seq. Returning false leaves it not
  // live, having taken the first of them at most (say, as many as its queue
  // has room for) or none; it asks again from where it got to, or reads the
  // log.
  virtual bool OnRecent(absl::Span<const EventPtr> events) = 0;
};

// How much of the most recent feed the hub keeps in memory, so that a
// subscriber resuming just behind the head is served without the database.
// The oldest events are dropped when either bound is passed; 0 events keeps
// none (only a resume at the head is served from memory).
struct RecentLimits {
  size_t events = 4096;
  size_t bytes = size_t{16} << 20;
};

// Runs the subscribers' drains of one dispatch: on the dispatching thread
// by default, or handed to a thread of the transport's (the gateway's
// writes then start where their completions run, rather than each waking
// one).
using DrainRunner = std::function<void(std::function<void()>)>;

class FeedHub {
 public:
  explicit FeedHub(RecentLimits recent = {}, DrainRunner drains = nullptr)
      : limits_(recent), run_drains_(std::move(drains)) {}
  ~FeedHub();

  // Start sending heartbeats every `interval` to every live subscriber.
  void StartHeartbeats(absl::Duration interval);

  // Register a subscriber that is replaying from the log, on behalf of
  // `owner` (a party). Refused with RESOURCE_EXHAUSTED when `owner` already
  // has `max_per_owner` subscribers registered (0: no limit), so that one
  // party cannot hold the gateway's streams; with UNAVAILABLE when the hub
  // is closed (the gateway is shutting down).
  absl::Status Register(std::shared_ptr<Subscriber> subscriber, const std::string& owner, size_t max_per_owner);
  // Register with no owner and no limit; false when the hub is closed.
  bool Register(std::shared_ptr<Subscriber> subscriber) { return Register(std::move(subscriber), "", 0).ok(); }
  // Switch a registered subscriber to live delivery if it has read the log
  // up to at least the last dispatched seq; otherwise return false and the
  // subscriber reads on. Done under the dispatch lock, so no event is missed
  // or repeated across the switch.
  bool TryGoLive(Subscriber* subscriber, int64_t scanned_seq);
  // Switch a registered subscriber to live delivery at once when every
  // committed event after `resume_after_seq` is still in memory: it is
  // handed those events (Subscriber::OnRecent) and goes live under the
  // dispatch lock, so no event is missed or repeated across the switch.
  // False when the resume point is older than what the hub keeps or beyond
  // the head, or the subscriber did not take all the events (see OnRecent).
  bool TryResumeFromMemory(Subscriber* subscriber, int64_t resume_after_seq);
  void Unregister(Subscriber* subscriber);

  // Set the last seq already committed when this process started; events up
  // to it reach subscribers through replay.
  void SetHead(int64_t seq);
  int64_t head() const;
  // Deliver events committed after head, contiguous and in seq order.
  void Dispatch(const std::vector<EventPtr>& events);
  // Deliver `events` only if they directly follow the head: the first is
  // head + 1 and each follows the one before. Otherwise deliver none of
  // them and return false; the log's reader delivers them. For events
  // handed over by the transaction that committed them, whose hand-overs
  // may arrive out of commit order or after the log's reader has already
  // delivered them.
  bool DispatchNext(const std::vector<EventPtr>& events);
  // End every subscription with `status` and refuse new ones.
  void CloseAll(const absl::Status& status);
  // End every subscription that is no longer entitled to the feed, with the
  // status that says why; return how many were ended.
  size_t CloseUnentitled();
  size_t subscriber_count() const;

 private:
  struct Entry {
    std::shared_ptr<Subscriber> subscriber;
    std::string owner;
    bool live = false;
    bool closed = false;  // told to end; waiting for Unregister
  };
  using Drains = std::vector<std::shared_ptr<Subscriber>>;
  void SendHeartbeats();
  // Queue `event` to every live subscriber; add those that asked for a
  // drain to `drains`, once each.
  void DispatchLocked(const EventPtr& event, Drains& drains);
  void RunDrains(Drains drains);
  Entry* FindLocked(const Subscriber* subscriber);
  // Keep `event` among the recent events, dropping the oldest beyond the
  // limits.
  void RememberLocked(const EventPtr& event);
  void ForgetOldestLocked();

  mutable std::mutex mu_;
  std::vector<Entry> entries_;
  // Subscribers registered per owner, so that a registration does not scan
  // thousands of entries.
  std::unordered_map<std::string, size_t> per_owner_;
  int64_t head_ = 0;
  bool closed_ = false;

  // The recent events: recent_[recent_begin_..] are every event committed
  // after recent_floor_ up to head_, in seq order. Dropped events leave
  // empty slots at the front that are compacted away now and then, so the
  // kept ones stay contiguous and can be handed out as one span.
  const RecentLimits limits_;
  const DrainRunner run_drains_;
  std::vector<EventPtr> recent_;
  size_t recent_begin_ = 0;
  size_t recent_bytes_ = 0;
  int64_t recent_floor_ = 0;

  // Last, so that it stops before the entries it reads go away.
  runtime::PeriodicTask heartbeats_;
};

}  // namespace tsodso::feed
