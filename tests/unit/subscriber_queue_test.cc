#include "feed/subscriber_queue.h"

#include <gtest/gtest.h>

namespace tsodso::feed {
namespace {

EventPtr Ev(int64_t seq) {
  auto e = std::make_shared<core::StoredEvent>();
  e->seq = seq;
  return e;
}

TEST(SubscriberQueueTest, PopsInFifoOrderAndNullWhenEmpty) {
  SubscriberQueue q(8);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.Pop(), nullptr);
  for (int64_t s = 1; s <= 5; ++s) ASSERT_TRUE(q.PushLive(Ev(s)));
  q.PushReplay(Ev(6));
  EXPECT_EQ(q.size(), 6u);
  for (int64_t s = 1; s <= 6; ++s) {
    EventPtr e = q.Pop();
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->seq, s);
  }
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.Pop(), nullptr);
}

TEST(SubscriberQueueTest, PushLiveRefusesAtCapacity) {
  SubscriberQueue q(3);
  EXPECT_TRUE(q.PushLive(Ev(1)));
  EXPECT_TRUE(q.PushLive(Ev(2)));
  EXPECT_TRUE(q.PushLive(Ev(3)));
  EXPECT_FALSE(q.PushLive(Ev(4)));
  EXPECT_EQ(q.size(), 3u);
  // The refused event was not queued.
  q.Pop();
  q.Pop();
  EXPECT_EQ(q.Pop()->seq, 3);
  EXPECT_EQ(q.Pop(), nullptr);
  // Room again after popping.
  EXPECT_TRUE(q.PushLive(Ev(5)));
}

TEST(SubscriberQueueTest, PushReplayIgnoresCapacity) {
  SubscriberQueue q(2);
  for (int64_t s = 1; s <= 5; ++s) q.PushReplay(Ev(s));
  EXPECT_EQ(q.size(), 5u);
  EXPECT_EQ(q.capacity(), 2u);
  // A live push onto an over-full queue is still refused.
  EXPECT_FALSE(q.PushLive(Ev(6)));
  for (int64_t s = 1; s <= 5; ++s) EXPECT_EQ(q.Pop()->seq, s);
}

TEST(SubscriberQueueTest, LowWaterIsHalfTheCapacity) {
  EXPECT_EQ(SubscriberQueue(1024).low_water(), 512u);
  EXPECT_EQ(SubscriberQueue(5).low_water(), 2u);
  EXPECT_EQ(SubscriberQueue(2).low_water(), 1u);
}

TEST(SubscriberQueueTest, ClearEmptiesTheQueue) {
  SubscriberQueue q(4);
  q.PushLive(Ev(1));
  q.PushReplay(Ev(2));
  q.Clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.Pop(), nullptr);
  EXPECT_TRUE(q.PushLive(Ev(3)));
}

}  // namespace
}  // namespace tsodso::feed
