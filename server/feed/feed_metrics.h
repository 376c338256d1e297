// The feed's metrics on its hot paths (runtime/metrics.h defines the
// families). Each series is made once, so that counting an event is an
// array index and an atomic add, with no label lookup and no family lock.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <array>

#include "core/events/event.h"

namespace tsodso::feed {

class FeedMetrics {
 public:
  static FeedMetrics& Get();

  // tsodso_feed_events_committed_total / _delivered_total of `topic`; a
  // value outside the known topics counts as "other".
  prometheus::Counter& Committed(core::Topic topic) const { return *committed_[Index(topic)]; }
  prometheus::Counter& Delivered(core::Topic topic) const { return *delivered_[Index(topic)]; }

  prometheus::Histogram& queue_depth;
  prometheus::Counter& replay_pages;
  prometheus::Counter& resumes;
  prometheus::Counter& memory_resumes;
  prometheus::Counter& handed_over;
  prometheus::Gauge& head_seq;

 private:
  static constexpr int kTopics = static_cast<int>(core::Topic::kForecast) + 1;  // index 0: other
  using ByTopic = std::array<prometheus::Counter*, kTopics>;

  FeedMetrics();
  static int Index(core::Topic topic) {
    const int t = static_cast<int>(topic);
    return core::IsKnownTopic(t) ? t : 0;
  }

  ByTopic committed_{};
  ByTopic delivered_{};
};

}  // namespace tsodso::feed
