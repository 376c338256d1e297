#include "feed/feed_metrics.h"

#include "runtime/metrics.h"

namespace tsodso::feed {
namespace {

// Queue depths from empty to past the largest queue a stream is given.
const prometheus::Histogram::BucketBoundaries& DepthBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
  return buckets;
}

}  // namespace

FeedMetrics& FeedMetrics::Get() {
  static FeedMetrics* metrics = new FeedMetrics();  // lives as long as the process
  return *metrics;
}

FeedMetrics::FeedMetrics()
    : queue_depth(runtime::Metrics::Get().feed_queue_depth.Add({}, DepthBuckets())),
      replay_pages(runtime::Metrics::Get().feed_replay_pages.Add({})),
      resumes(runtime::Metrics::Get().feed_resumes.Add({})),
      memory_resumes(runtime::Metrics::Get().feed_memory_resumes.Add({})),
      handed_over(runtime::Metrics::Get().feed_handed_over.Add({})),
      head_seq(runtime::Metrics::Get().feed_head_seq.Add({})) {
  runtime::Metrics& m = runtime::Metrics::Get();
  committed_[0] = &m.feed_events_committed.Add({{"topic", "other"}});
  delivered_[0] = &m.feed_events_delivered.Add({{"topic", "other"}});
  for (int t = 1; t < kTopics; ++t) {
    const char* name = core::TopicName(static_cast<core::Topic>(t));
    committed_[t] = &m.feed_events_committed.Add({{"topic", name}});
    delivered_[t] = &m.feed_events_delivered.Add({{"topic", name}});
  }
}

}  // namespace tsodso::feed
