// The bounded queue between the fan-out and one subscriber's stream.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>

#include "core/events/event.h"

namespace tsodso::feed {

using EventPtr = std::shared_ptr<const core::StoredEvent>;

class SubscriberQueue {
 public:
  explicit SubscriberQueue(size_t capacity) : capacity_(capacity) {}

  // Queue a live event; false when the queue is full, which means the
  // subscriber has fallen behind and must be cut (it resumes from the log).
  bool PushLive(EventPtr event);
  // Queue a replayed event. Replay is paced by the reader (it reads the next
  // page only below the low-water mark), so it is never refused.
  void PushReplay(EventPtr event);
  EventPtr Pop();
  void Clear() { items_.clear(); }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  size_t capacity() const { return capacity_; }
  // Below this the replay reader fetches its next page.
  size_t low_water() const { return capacity_ / 2; }

 private:
  size_t capacity_;
  std::deque<EventPtr> items_;
};

}  // namespace tsodso::feed
