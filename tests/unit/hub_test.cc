#include "feed/hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <iostream>
#include <mutex>
#include <numeric>
#include <thread>

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

// A subscriber registered with `hub`, whose head is `head`, and live there.
std::shared_ptr<RecordingSubscriber> LiveAt(FeedHub& hub, int64_t head) {
  hub.SetHead(head);
  auto sub = std::make_shared<RecordingSubscriber>();
  EXPECT_TRUE(hub.Register(sub));
  EXPECT_TRUE(hub.TryGoLive(sub.get(), head));
  return sub;
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
  auto sub = LiveAt(hub, 5);
  hub.Dispatch(Events({4, 5, 6, 7}));
  hub.Dispatch(Events({6, 7, 8}));  // a repeated read of the log
  EXPECT_EQ(sub->seqs(), (std::vector<int64_t>{6, 7, 8}));
  EXPECT_EQ(hub.head(), 8);
}

TEST(FeedHubTest, EachOwnerHoldsAtMostItsLimit) {
  FeedHub hub;
  auto a1 = std::make_shared<RecordingSubscriber>();
  auto a2 = std::make_shared<RecordingSubscriber>();
  auto a3 = std::make_shared<RecordingSubscriber>();
  auto b1 = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(a1, "agg-1", 2).ok());
  ASSERT_TRUE(hub.Register(a2, "agg-1", 2).ok());
  absl::Status refused = hub.Register(a3, "agg-1", 2);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_NE(std::string(refused.message()).find("agg-1 has 2 subscriptions open"), std::string::npos) << refused;
  EXPECT_TRUE(hub.Register(b1, "tso", 2).ok());
  EXPECT_EQ(hub.subscriber_count(), 3u);
  hub.Unregister(a1.get());
  EXPECT_TRUE(hub.Register(a3, "agg-1", 2).ok());
  hub.CloseAll(absl::UnavailableError("closing"));
  EXPECT_EQ(hub.Register(std::make_shared<RecordingSubscriber>(), "op", 2).code(), absl::StatusCode::kUnavailable);
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

std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

TEST(FeedHubTest, ResumeWithinTheRecentEventsGetsExactlyThoseAfterItThenGoesLive) {
  FeedHub hub(RecentLimits{.events = 10, .bytes = 1 << 20});
  for (int64_t seq = 1; seq <= 20; ++seq) hub.Dispatch(Events({seq}));  // keeps 11..20

  auto sub = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(sub));
  ASSERT_TRUE(hub.TryResumeFromMemory(sub.get(), 14));
  EXPECT_EQ(sub->seqs(), Range(15, 20));
  hub.Dispatch(Events({20, 21, 22}));
  EXPECT_EQ(sub->seqs(), Range(15, 22)) << "missed or repeated across the switch to live";
  EXPECT_EQ(sub->events().front()->payload, "payload 15");

  // The oldest resume point served is the last event dropped (now 12).
  auto oldest = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(oldest));
  ASSERT_TRUE(hub.TryResumeFromMemory(oldest.get(), 12));
  EXPECT_EQ(oldest->seqs(), Range(13, 22));
  auto at_head = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(at_head));
  ASSERT_TRUE(hub.TryResumeFromMemory(at_head.get(), 22));
  EXPECT_TRUE(at_head->seqs().empty());
  EXPECT_EQ(at_head->recent_offers(), 1);
  hub.Dispatch(Events({23}));
  EXPECT_EQ(at_head->seqs(), (std::vector<int64_t>{23}));
}

TEST(FeedHubTest, ResumeBehindTheRecentEventsOrBeyondTheHeadReadsTheLog) {
  FeedHub hub(RecentLimits{.events = 10, .bytes = 1 << 20});
  for (int64_t seq = 1; seq <= 20; ++seq) hub.Dispatch(Events({seq}));
  auto behind = std::make_shared<RecordingSubscriber>();
  auto ahead = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(behind));
  ASSERT_TRUE(hub.Register(ahead));
  EXPECT_FALSE(hub.TryResumeFromMemory(behind.get(), 9));
  EXPECT_FALSE(hub.TryResumeFromMemory(ahead.get(), 21));
  EXPECT_EQ(behind->recent_offers(), 0);
  EXPECT_EQ(ahead->recent_offers(), 0);
  hub.Dispatch(Events({21}));
  EXPECT_TRUE(behind->seqs().empty()) << "a subscriber still to read the log got a live event";
  // It reads the log up to the head, then goes live as before.
  EXPECT_TRUE(hub.TryGoLive(behind.get(), 21));
  hub.Dispatch(Events({22}));
  EXPECT_EQ(behind->seqs(), (std::vector<int64_t>{22}));
}

TEST(FeedHubTest, RecentEventsAreBoundedByBytes) {
  const size_t event_bytes = sizeof(core::StoredEvent) + 1000;
  FeedHub hub(RecentLimits{.events = 1000, .bytes = 3 * event_bytes});
  for (int64_t seq = 1; seq <= 10; ++seq) {
    auto e = std::make_shared<core::StoredEvent>();
    e->seq = seq;
    e->payload.assign(1000, 'x');
    hub.Dispatch({e});
  }
  auto kept = std::make_shared<RecordingSubscriber>();
  auto dropped = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(kept));
  ASSERT_TRUE(hub.Register(dropped));
  EXPECT_FALSE(hub.TryResumeFromMemory(dropped.get(), 6));
  ASSERT_TRUE(hub.TryResumeFromMemory(kept.get(), 7));
  EXPECT_EQ(kept->seqs(), Range(8, 10));
}

TEST(FeedHubTest, NoRecentEventsStillServesAResumeAtTheHead) {
  FeedHub hub(RecentLimits{.events = 0, .bytes = 0});
  for (int64_t seq = 1; seq <= 200; ++seq) hub.Dispatch(Events({seq}));
  auto behind = std::make_shared<RecordingSubscriber>();
  auto at_head = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(behind));
  ASSERT_TRUE(hub.Register(at_head));
  EXPECT_FALSE(hub.TryResumeFromMemory(behind.get(), 199));
  ASSERT_TRUE(hub.TryResumeFromMemory(at_head.get(), 200));
  hub.Dispatch(Events({201}));
  EXPECT_EQ(at_head->seqs(), (std::vector<int64_t>{201}));
}

// Events up to a head set from the log were never dispatched here: none of
// them is served from memory.
TEST(FeedHubTest, SetHeadForgetsTheRecentEvents) {
  FeedHub hub;
  hub.Dispatch(Events({1, 2, 3}));
  hub.SetHead(10);
  auto sub = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(sub));
  EXPECT_FALSE(hub.TryResumeFromMemory(sub.get(), 3));
  ASSERT_TRUE(hub.TryResumeFromMemory(sub.get(), 10));
  hub.Dispatch(Events({11}));
  EXPECT_EQ(sub->seqs(), (std::vector<int64_t>{11}));
}

// A subscriber that refuses the events (its queue would overflow) is left
// to read the log: it is not live and has kept nothing.
TEST(FeedHubTest, RefusedRecentEventsLeaveTheSubscriberToTheLog) {
  FeedHub hub;
  hub.Dispatch(Events({1, 2, 3}));
  auto sub = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(sub));
  sub->RefuseRecent();
  EXPECT_FALSE(hub.TryResumeFromMemory(sub.get(), 1));
  EXPECT_EQ(sub->recent_offers(), 1);
  hub.Dispatch(Events({4}));
  EXPECT_TRUE(sub->seqs().empty());
  auto unregistered = std::make_shared<RecordingSubscriber>();
  EXPECT_FALSE(hub.TryResumeFromMemory(unregistered.get(), 3));
  hub.CloseAll(absl::UnavailableError("closing"));
  auto late = std::make_shared<RecordingSubscriber>();
  EXPECT_FALSE(hub.TryResumeFromMemory(late.get(), 4));
}

// Many subscribers resume a little behind the head while the tailer keeps
// dispatching, as clients coming back together do: each gets every seq
// after its resume point once, in order, and nothing touches a log.
TEST(FeedHubTest, ConcurrentResumesFromMemoryWhileEventsAreDispatched) {
  FeedHub hub(RecentLimits{.events = 256, .bytes = 1 << 20});
  hub.Dispatch(Events({1}));
  std::atomic<bool> done{false};
  std::atomic<int64_t> dispatched{1};
  std::thread dispatcher([&] {
    for (int64_t seq = 2; seq <= 20000 && !done; ++seq) {
      hub.Dispatch(Events({seq}));
      dispatched = seq;
    }
  });
  std::atomic<int> served{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto sub = std::make_shared<RecordingSubscriber>();
        ASSERT_TRUE(hub.Register(sub));
        const int64_t resume = std::max<int64_t>(0, hub.head() - (i * 7 + t) % 100);
        if (hub.TryResumeFromMemory(sub.get(), resume)) {
          ++served;
          std::this_thread::yield();
          hub.Unregister(sub.get());
          const std::vector<int64_t> seqs = sub->seqs();
          for (size_t k = 0; k < seqs.size(); ++k) {
            if (seqs[k] != resume + 1 + static_cast<int64_t>(k)) {
              ++wrong;
              break;
            }
          }
        } else {
          hub.Unregister(sub.get());
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  done = true;
  dispatcher.join();
  EXPECT_EQ(wrong.load(), 0);
  // Resume points at most 100 behind the head stay within the 256 events
  // kept, unless a client is held up while the head runs on: most are served.
  EXPECT_GT(served.load(), 6 * 200 / 2);
  EXPECT_EQ(hub.subscriber_count(), 0u);
}

// Subscribers come and go on the gRPC threads while the tailer dispatches
// and the heartbeat thread ticks: each one that goes live gets a gap-free
// run of seqs from where it went live (ThreadSanitizer judges the locking).
TEST(FeedHubTest, SubscribersComeAndGoWhileEventsAreDispatched) {
  FeedHub hub;
  hub.StartHeartbeats(absl::Milliseconds(1));
  std::atomic<int> checked{0};
  std::atomic<bool> done{false};
  std::atomic<int64_t> dispatched{0};
  // At least 3,000 events, and on until the subscribers have come and gone
  // 300 times (or a generous bound on a loaded machine).
  std::thread dispatcher([&] {
    const auto until = std::chrono::steady_clock::now() + 30s;
    for (int64_t seq = 1; seq <= 3000 || (checked < 300 && std::chrono::steady_clock::now() < until); ++seq) {
      hub.Dispatch(Events({seq}));
      dispatched = seq;
    }
    done = true;
  });
  std::atomic<int> gaps{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&] {
      while (!done) {
        auto sub = std::make_shared<RecordingSubscriber>();
        if (!hub.Register(sub)) break;
        // Go live from wherever the head is now, as a caught-up replay does.
        while (!hub.TryGoLive(sub.get(), hub.head())) {
        }
        std::this_thread::yield();
        hub.Unregister(sub.get());
        const std::vector<int64_t> seqs = sub->seqs();
        for (size_t i = 1; i < seqs.size(); ++i) {
          if (seqs[i] != seqs[i - 1] + 1) ++gaps;
        }
        ++checked;
      }
    });
  }
  dispatcher.join();
  for (auto& c : clients) c.join();
  EXPECT_GE(checked.load(), 300);
  EXPECT_EQ(gaps.load(), 0);
  EXPECT_EQ(hub.head(), dispatched.load());
  EXPECT_EQ(hub.subscriber_count(), 0u);
  hub.CloseAll(absl::UnavailableError("done"));
}

TEST(FeedHubTest, DispatchNextTakesOnlyEventsThatDirectlyFollowTheHead) {
  FeedHub hub;
  auto sub = LiveAt(hub, 5);
  EXPECT_FALSE(hub.DispatchNext({}));
  EXPECT_FALSE(hub.DispatchNext(Events({7, 8})));  // 6 not yet dispatched
  EXPECT_FALSE(hub.DispatchNext(Events({6, 8})));  // not contiguous: none of them
  EXPECT_FALSE(hub.DispatchNext(Events({5, 6})));  // starts at the head
  EXPECT_TRUE(sub->seqs().empty());
  EXPECT_EQ(hub.head(), 5);
  EXPECT_TRUE(hub.DispatchNext(Events({6, 7})));
  // The log's reader then skips what was handed over, and a hand-over of
  // what the reader delivered first is refused.
  hub.Dispatch(Events({6, 7, 8, 9}));
  EXPECT_FALSE(hub.DispatchNext(Events({8, 9})));
  EXPECT_TRUE(hub.DispatchNext(Events({10})));
  EXPECT_EQ(sub->seqs(), (std::vector<int64_t>{6, 7, 8, 9, 10}));
  EXPECT_EQ(hub.head(), 10);
  // Handed-over events are kept among the recent events like the others.
  auto late = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(late));
  ASSERT_TRUE(hub.TryResumeFromMemory(late.get(), 7));
  EXPECT_EQ(late->seqs(), (std::vector<int64_t>{8, 9, 10}));
}

// Groups commit one after another, but hand their events over from
// different threads in any order, while the log's reader delivers what is
// committed from the head on: every subscriber gets every seq once, in
// order, whichever path each event took.
TEST(FeedHubTest, HandOversInAnyOrderAndTheLogsReaderDeliverEveryEventOnceInOrder) {
  constexpr int64_t kEvents = 20000;
  std::vector<EventPtr> by_seq(kEvents + 1);
  for (int64_t s = 1; s <= kEvents; ++s) by_seq[s] = Events({s})[0];
  FeedHub hub(RecentLimits{.events = 512, .bytes = 1 << 20});
  auto first = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(first));
  ASSERT_TRUE(hub.TryGoLive(first.get(), 0));

  std::mutex commit_mu;  // the event counter's lock
  int64_t next = 1;
  std::atomic<int64_t> committed{0};
  std::atomic<int> handed_over{0};
  std::vector<std::thread> groups;
  for (int t = 0; t < 4; ++t) {
    groups.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        std::vector<EventPtr> batch;
        {
          std::lock_guard lock(commit_mu);
          if (next > kEvents) return;
          const int64_t n = std::min<int64_t>(1 + (i + t) % 5, kEvents - next + 1);
          batch.assign(by_seq.begin() + next, by_seq.begin() + next + n);
          next += n;
          committed = next - 1;  // COMMIT
        }
        // Another group's hand-over may come first.
        if ((i + t) % 3 == 0) std::this_thread::yield();
        if (i % 16 == 0) std::this_thread::sleep_for(20us);  // let subscribers join meanwhile
        if (hub.DispatchNext(batch)) ++handed_over;
      }
    });
  }
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (true) {
      const bool last = done;
      // Read what is committed after the head, a page at a time.
      const int64_t upto = committed;
      for (int64_t from = hub.head() + 1; from <= upto;) {
        const int64_t to = std::min(upto, from + 99);
        hub.Dispatch(std::vector<EventPtr>(by_seq.begin() + from, by_seq.begin() + to + 1));
        from = to + 1;
      }
      if (last) return;
      std::this_thread::sleep_for(50us);
    }
  });
  // Subscribers go live along the way, from wherever the head is.
  std::vector<std::shared_ptr<RecordingSubscriber>> joined;
  for (int k = 0; k < 20; ++k) {
    auto sub = std::make_shared<RecordingSubscriber>();
    ASSERT_TRUE(hub.Register(sub));
    while (!hub.TryGoLive(sub.get(), hub.head())) {
    }
    joined.push_back(sub);
    std::this_thread::sleep_for(200us);
  }
  for (auto& g : groups) g.join();
  done = true;
  reader.join();

  EXPECT_EQ(hub.head(), kEvents);
  std::vector<int64_t> all(kEvents);
  std::iota(all.begin(), all.end(), 1);
  EXPECT_EQ(first->seqs(), all);
  for (const auto& sub : joined) {
    const std::vector<int64_t> seqs = sub->seqs();
    if (seqs.empty()) continue;  // went live at the end
    EXPECT_EQ(seqs.back(), kEvents);
    for (size_t i = 1; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], seqs[i - 1] + 1);
  }
  // Both paths delivered some (not a proof of anything, a sign the test
  // exercised what it is about).
  std::cout << "[ figures  ] " << handed_over.load() << " hand-overs taken\n";
  EXPECT_GT(handed_over.load(), 0);
}

// A subscriber that, like a stream, asks for a drain when an event finds it
// idle, and checks in Drain that the hub's lock is free: another thread can
// read the head meanwhile.
class DrainingSubscriber : public RecordingSubscriber {
 public:
  explicit DrainingSubscriber(FeedHub& hub) : hub_(hub) {}
  bool OnEvent(const EventPtr& event) override {
    RecordingSubscriber::OnEvent(event);
    if (asked_) return false;
    asked_ = true;
    return true;
  }
  void Drain() override {
    auto head = std::async(std::launch::async, [this] { return hub_.head(); });
    lock_free_ = lock_free_ && head.wait_for(5s) == std::future_status::ready;
    asked_ = false;
    ++drains_;
  }
  int drains() const { return drains_; }
  bool lock_free() const { return lock_free_; }

 private:
  FeedHub& hub_;
  std::atomic<bool> asked_{false};
  std::atomic<int> drains_{0};
  std::atomic<bool> lock_free_{true};
};

TEST(FeedHubTest, ADrainRunsOncePerDispatchAfterTheLockIsReleased) {
  FeedHub hub;
  hub.SetHead(5);
  auto sub = std::make_shared<DrainingSubscriber>(hub);
  auto plain = std::make_shared<RecordingSubscriber>();  // never asks
  ASSERT_TRUE(hub.Register(sub));
  ASSERT_TRUE(hub.Register(plain));
  ASSERT_TRUE(hub.TryGoLive(sub.get(), 5));
  ASSERT_TRUE(hub.TryGoLive(plain.get(), 5));

  hub.Dispatch(Events({6, 7, 8}));
  EXPECT_EQ(sub->drains(), 1);  // one for the three events
  ASSERT_TRUE(hub.DispatchNext(Events({9, 10})));
  EXPECT_EQ(sub->drains(), 2);
  EXPECT_FALSE(hub.DispatchNext(Events({12})));  // refused: no drain
  hub.Dispatch(Events({10}));                    // nothing new: no drain
  EXPECT_EQ(sub->drains(), 2);
  EXPECT_TRUE(sub->lock_free());
  EXPECT_EQ(sub->seqs(), (std::vector<int64_t>{6, 7, 8, 9, 10}));
  EXPECT_EQ(plain->seqs(), sub->seqs());
}

TEST(FeedHubTest, DrainsGoToTheRunnerAfterTheEventsAreQueued) {
  std::vector<std::function<void()>> handed;
  FeedHub hub({}, [&](std::function<void()> drain) { handed.push_back(std::move(drain)); });
  std::vector<std::shared_ptr<DrainingSubscriber>> subs;
  for (int i = 0; i < 3; ++i) {
    subs.push_back(std::make_shared<DrainingSubscriber>(hub));
    ASSERT_TRUE(hub.Register(subs.back()));
    ASSERT_TRUE(hub.TryGoLive(subs.back().get(), 0));
  }
  hub.Dispatch(Events({1, 2}));
  // Queued at once, drained when the runner gets to it: one task for the
  // dispatch, whatever the number of subscribers.
  ASSERT_EQ(handed.size(), 1u);
  for (const auto& s : subs) {
    EXPECT_EQ(s->seqs(), (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(s->drains(), 0);
  }
  // Unregistered before its drain runs: the task holds it, and still
  // drains it (a stream that ended sends nothing more).
  hub.Unregister(subs[2].get());
  handed[0]();
  for (const auto& s : subs) EXPECT_EQ(s->drains(), 1);
  ASSERT_TRUE(hub.DispatchNext(Events({3})));
  ASSERT_EQ(handed.size(), 2u);
  EXPECT_EQ(subs[2]->seqs(), (std::vector<int64_t>{1, 2}));
}

}  // namespace
}  // namespace tsodso::feed
