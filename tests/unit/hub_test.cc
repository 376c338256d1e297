#include "feed/hub.h"

#include <gtest/gtest.h>

#include "support/recording_subscriber.h"

namespace tsodso::feed {
namespace {

using ::tsodso::testing::RecordingSubscriber;
using namespace std::chrono_literals;

std::vector<EventPtr> Events(std::initializer_list<int64_t> seqs) {
  std::vector<EventPtr> out;
  for (int64_t s : seqs) {
    auto e = std::make_shared<core::StoredEvent>();
    e->seq = s;
    e->payload = "payload " + std::to_string(s);
    out.push_back(e);
  }
  return out;
}

TEST(FeedHubTest, DispatchReachesOnlyLiveSubscribersInOrder) {
  FeedHub hub;
  auto live = std::make_shared<RecordingSubscriber>();
  auto replaying = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(live));
  ASSERT_TRUE(hub.Register(replaying));
  EXPECT_EQ(hub.subscriber_count(), 2u);
  ASSERT_TRUE(hub.TryGoLive(live.get(), 0));

  hub.Dispatch(Events({1, 2}));
  hub.Dispatch(Events({3}));
  EXPECT_EQ(live->seqs(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(live->events()[1]->payload, "payload 2");
  EXPECT_TRUE(replaying->seqs().empty());
  EXPECT_EQ(hub.head(), 3);
}

TEST(FeedHubTest, DispatchSkipsEventsAtOrBelowHead) {
  FeedHub hub;
  hub.SetHead(5);
  auto sub = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(sub));
  ASSERT_TRUE(hub.TryGoLive(sub.get(), 5));
  hub.Dispatch(Events({4, 5, 6, 7}));
  hub.Dispatch(Events({6, 7, 8}));  // a repeated read of the log
  EXPECT_EQ(sub->seqs(), (std::vector<int64_t>{6, 7, 8}));
  EXPECT_EQ(hub.head(), 8);
}

TEST(FeedHubTest, SetHeadNeverMovesBackwards) {
  FeedHub hub;
  hub.SetHead(10);
  hub.SetHead(3);
  EXPECT_EQ(hub.head(), 10);
}

TEST(FeedHubTest, TryGoLiveNeedsTheSubscriberToHaveScannedUpToHead) {
  FeedHub hub;
  hub.SetHead(10);
  auto sub = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(sub));
  EXPECT_FALSE(hub.TryGoLive(sub.get(), 9));
  hub.Dispatch(Events({11}));
  EXPECT_TRUE(sub->seqs().empty()) << "a subscriber that failed to go live got a live event";
  EXPECT_FALSE(hub.TryGoLive(sub.get(), 10));  // head moved on to 11
  EXPECT_TRUE(hub.TryGoLive(sub.get(), 11));
  hub.Dispatch(Events({12}));
  EXPECT_EQ(sub->seqs(), (std::vector<int64_t>{12}));

  auto ahead = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(ahead));
  EXPECT_TRUE(hub.TryGoLive(ahead.get(), 20));
}

TEST(FeedHubTest, UnregisterStopsDelivery) {
  FeedHub hub;
  auto a = std::make_shared<RecordingSubscriber>();
  auto b = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(a));
  ASSERT_TRUE(hub.Register(b));
  hub.TryGoLive(a.get(), 0);
  hub.TryGoLive(b.get(), 0);
  hub.Dispatch(Events({1}));
  hub.Unregister(a.get());
  EXPECT_EQ(hub.subscriber_count(), 1u);
  hub.Dispatch(Events({2}));
  EXPECT_EQ(a->seqs(), (std::vector<int64_t>{1}));
  EXPECT_EQ(b->seqs(), (std::vector<int64_t>{1, 2}));
  hub.Unregister(a.get());  // twice is harmless
  EXPECT_EQ(hub.subscriber_count(), 1u);
}

TEST(FeedHubTest, CloseAllEndsEverySubscriptionAndRefusesNewOnes) {
  FeedHub hub;
  auto live = std::make_shared<RecordingSubscriber>();
  auto replaying = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(live));
  ASSERT_TRUE(hub.Register(replaying));
  hub.TryGoLive(live.get(), 0);
  hub.CloseAll(absl::UnavailableError("gateway shutting down"));
  for (const auto& sub : {live, replaying}) {
    const auto closes = sub->closes();
    ASSERT_EQ(closes.size(), 1u);
    EXPECT_EQ(closes[0].code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(closes[0].message(), "gateway shutting down");
  }
  EXPECT_FALSE(hub.Register(std::make_shared<RecordingSubscriber>()));
}

TEST(FeedHubTest, HeartbeatsGoToLiveSubscribersWithTheHead) {
  FeedHub hub;
  hub.SetHead(7);
  auto live = std::make_shared<RecordingSubscriber>();
  auto replaying = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(live));
  ASSERT_TRUE(hub.Register(replaying));
  hub.TryGoLive(live.get(), 7);
  hub.StartHeartbeats(absl::Milliseconds(10));
  ASSERT_TRUE(live->WaitForHeartbeats(2, 5s));
  EXPECT_EQ(live->heartbeats()[0], 7);
  EXPECT_TRUE(replaying->heartbeats().empty());
}

}  // namespace
}  // namespace tsodso::feed
