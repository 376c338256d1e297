#include "feed/tailer.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "pg_fixture.h"
#include "store/event_store.h"
#include "support/recording_subscriber.h"

namespace tsodso::feed {
namespace {

using ::tsodso::testing::RecordingSubscriber;
using namespace std::chrono_literals;

class TailerTest : public ::tsodso::testing::PgTest {
 protected:
  absl::Status Publish(const std::string& payload, bool commit = true) {
    return store::InTransaction(*conn_, [&]() -> absl::Status {
      core::EventDraft d;
      d.envelope.pcc_id = "PS_SUD";
      d.payload = payload;
      auto r = store::AppendEvents(*conn_, {d});
      if (!r.ok()) return r.status();
      return commit ? absl::OkStatus() : absl::CancelledError("roll back");
    });
  }
};

TEST_F(TailerTest, LiveSubscriberGetsNewCommitsInOrder) {
  // Two events exist before the tailer starts: they are history, reached by
  // replay, and set the hub's head.
  ASSERT_TRUE(Publish("old-1").ok());
  ASSERT_TRUE(Publish("old-2").ok());

  FeedHub hub;
  // A safety poll far beyond the wait below: only LISTEN/NOTIFY can deliver.
  EventTailer tailer(dsn_, hub, EventTailer::Options{1000, absl::Seconds(60), absl::Seconds(5)});
  ASSERT_TRUE(tailer.Start().ok());
  EXPECT_EQ(hub.head(), 2);

  auto sub = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(sub));
  ASSERT_TRUE(hub.TryGoLive(sub.get(), hub.head()));

  ASSERT_TRUE(Publish("new-3").ok());
  ASSERT_TRUE(Publish("dropped", false).code() == absl::StatusCode::kCancelled);
  ASSERT_TRUE(Publish("new-4").ok());
  ASSERT_TRUE(store::InTransaction(*conn_, [&]() -> absl::Status {
                std::vector<core::EventDraft> drafts(3);
                for (int i = 0; i < 3; ++i) drafts[i].payload = absl::StrCat("new-", 5 + i);
                return store::AppendEvents(*conn_, drafts).status();
              }).ok());

  ASSERT_TRUE(sub->WaitForEvents(5, 5s)) << "got only " << sub->seqs().size() << " events";
  std::this_thread::sleep_for(100ms);  // nothing more may follow
  const auto events = sub->events();
  ASSERT_EQ(events.size(), 5u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]->seq, static_cast<int64_t>(3 + i));
    EXPECT_EQ(events[i]->payload, absl::StrCat("new-", 3 + i));
  }
  EXPECT_EQ(events[0]->envelope.pcc_id, "PS_SUD");
  EXPECT_EQ(hub.head(), 7);
  tailer.Stop();
}

TEST_F(TailerTest, SubscriberThatIsNotLiveGetsNothing) {
  FeedHub hub;
  EventTailer tailer(dsn_, hub, EventTailer::Options{1000, absl::Seconds(60), absl::Seconds(5)});
  ASSERT_TRUE(tailer.Start().ok());
  auto live = std::make_shared<RecordingSubscriber>();
  auto replaying = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(live));
  ASSERT_TRUE(hub.Register(replaying));
  ASSERT_TRUE(hub.TryGoLive(live.get(), hub.head()));
  ASSERT_TRUE(Publish("a").ok());
  ASSERT_TRUE(live->WaitForEvents(1, 5s));
  EXPECT_TRUE(replaying->seqs().empty());
  tailer.Stop();
}

TEST_F(TailerTest, SafetyPollDeliversEvenWithoutNotification) {
  FeedHub hub;
  EventTailer tailer(dsn_, hub, EventTailer::Options{1000, absl::Milliseconds(100), absl::Seconds(5)});
  ASSERT_TRUE(tailer.Start().ok());
  auto sub = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(sub));
  ASSERT_TRUE(hub.TryGoLive(sub.get(), hub.head()));
  // Insert a row behind the log's back: no pg_notify, as if the
  // notification had been lost with a connection.
  Sql("UPDATE event_seq SET last_seq = 1");
  Sql("INSERT INTO events (seq, published_at, topic, audience, payload) VALUES (1, now(), 1, 7, 'quiet')");
  ASSERT_TRUE(sub->WaitForEvents(1, 5s));
  EXPECT_EQ(sub->events()[0]->payload, "quiet");
  tailer.Stop();
}

TEST_F(TailerTest, CatchesUpAcrossSeveralPages) {
  FeedHub hub;
  EventTailer tailer(dsn_, hub, EventTailer::Options{4, absl::Seconds(60), absl::Seconds(5)});
  ASSERT_TRUE(tailer.Start().ok());
  auto sub = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(sub));
  ASSERT_TRUE(hub.TryGoLive(sub.get(), hub.head()));
  ASSERT_TRUE(store::InTransaction(*conn_, [&]() -> absl::Status {
                return store::AppendEvents(*conn_, std::vector<core::EventDraft>(11)).status();
              }).ok());
  ASSERT_TRUE(sub->WaitForEvents(11, 5s)) << "got " << sub->seqs().size();
  std::vector<int64_t> want;
  for (int64_t s = 1; s <= 11; ++s) want.push_back(s);
  EXPECT_EQ(sub->seqs(), want);
  tailer.Stop();
}

// Each event comes from the tailer encoded once for every stream, and the
// most recent ones stay in the hub for subscribers resuming just behind the
// head; events committed before the tailer started are the log's alone.
TEST_F(TailerTest, EventsComeEncodedOnceAndTheRecentOnesStayInTheHub) {
  ASSERT_TRUE(Publish("old-1").ok());
  FeedHub hub(RecentLimits{.events = 3, .bytes = 1 << 20});
  EventTailer::Options options{1000, absl::Seconds(60), absl::Seconds(5)};
  options.encode = [](const core::StoredEvent& e) { return absl::StrCat("wire ", e.seq, " ", e.payload); };
  EventTailer tailer(dsn_, hub, options);
  ASSERT_TRUE(tailer.Start().ok());
  auto live = std::make_shared<RecordingSubscriber>();
  ASSERT_TRUE(hub.Register(live));
  ASSERT_TRUE(hub.TryGoLive(live.get(), hub.head()));
  for (int i = 2; i <= 6; ++i) ASSERT_TRUE(Publish(absl::StrCat("new-", i)).ok());
  ASSERT_TRUE(live->WaitForEvents(5, 5s)) << "got " << live->seqs().size();
  EXPECT_EQ(live->events()[0]->wire, "wire 2 new-2");

  auto recent = std::make_shared<RecordingSubscriber>();
  auto behind = std::make_shared<RecordingSubscriber>();
  auto history = std::make_shared<RecordingSubscriber>();
  for (const auto& sub : {recent, behind, history}) ASSERT_TRUE(hub.Register(sub));
  ASSERT_TRUE(hub.TryResumeFromMemory(recent.get(), 3));
  EXPECT_EQ(recent->seqs(), (std::vector<int64_t>{4, 5, 6}));
  EXPECT_EQ(recent->events()[2]->wire, "wire 6 new-6");
  EXPECT_FALSE(hub.TryResumeFromMemory(behind.get(), 2));
  EXPECT_FALSE(hub.TryResumeFromMemory(history.get(), 0));
  tailer.Stop();
}

}  // namespace
}  // namespace tsodso::feed
