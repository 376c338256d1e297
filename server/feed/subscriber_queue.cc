#include "feed/subscriber_queue.h"

namespace tsodso::feed {

bool SubscriberQueue::PushLive(EventPtr event) {
  if (items_.size() >= capacity_) return false;
  items_.push_back(std::move(event));
  return true;
}

void SubscriberQueue::PushReplay(EventPtr event) { items_.push_back(std::move(event)); }

EventPtr SubscriberQueue::Pop() {
  if (items_.empty()) return nullptr;
  EventPtr e = std::move(items_.front());
  items_.pop_front();
  return e;
}

}  // namespace tsodso::feed
