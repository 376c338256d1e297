// The feed end to end: replay then live, exactly once and in order, across
// reconnects, a crashed daemon, a slow consumer; who sees what.
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

// Every seq from 1 to n, once, ascending.
void ExpectExactlyOnceInOrder(const std::vector<int64_t>& seqs, int64_t n) {
  ASSERT_EQ(static_cast<int64_t>(seqs.size()), n);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seqs[i], i + 1) << "at position " << i;
}

TEST(FeedTest, ReplayThenLiveEveryEventExactlyOnceAcrossReconnects) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  for (int i = 0; i < 20; ++i) Publish(*op, "before subscribe " + std::to_string(i));

  // A consumer that drops its stream after every 7th event and resumes
  // from the last seq it saw, while the operator keeps publishing.
  auto tso = gw->ClientAs("tso");
  std::vector<int64_t> seen;
  std::atomic<bool> publishing{true};
  std::thread publisher([&] {
    for (int i = 0; i < 60; ++i) Publish(*op, "during " + std::to_string(i));
    publishing = false;
  });
  int reconnects = 0;
  while (seen.size() < 80) {
    int in_this_stream = 0;
    auto st = tso->Subscribe(All(seen.empty() ? 0 : seen.back()), [&](const v1::Event& e) {
      if (e.has_heartbeat()) return true;
      seen.push_back(e.seq());
      EXPECT_TRUE(e.has_notice());
      return ++in_this_stream < 7 && seen.size() < 80;
    });
    ASSERT_TRUE(st.ok()) << st;
    ++reconnects;
  }
  publisher.join();
  EXPECT_GE(reconnects, 10);
  ExpectExactlyOnceInOrder(seen, 80);
}

TEST(FeedTest, NothingIsLostWhenTheDaemonIsKilledAndRestarted) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  FeedCollector tso(*gw, "tso", All());
  auto op = gw->ClientAs("operator");
  for (int i = 0; i < 10; ++i) Publish(*op, "before crash " + std::to_string(i));
  ASSERT_TRUE(tso.WaitForEvents(10));

  gw->Kill9();
  ASSERT_TRUE(gw->Start().ok()) << gw->Log();  // same port, same database
  auto op2 = gw->ClientAs("operator");
  for (int i = 0; i < 10; ++i) Publish(*op2, "after crash " + std::to_string(i));
  ASSERT_TRUE(tso.WaitForEvents(20, 30000)) << "received " << tso.events().size();
  ExpectExactlyOnceInOrder(tso.seqs(), 20);
  EXPECT_FALSE(tso.stream_ends().empty()) << "the crash should have ended the stream at least once";

  // A client that first connects after the restart gets all of it replayed.
  FeedCollector late(*gw, "tso", All(), false);
  ASSERT_TRUE(late.WaitForEvents(20));
  ExpectExactlyOnceInOrder(late.seqs(), 20);
}

TEST(FeedTest, AggregatorsSeeOnlyTheirOwnPccsAndGlobalNotices) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  FeedCollector agg1(*gw, "agg1", All());
  FeedCollector agg2(*gw, "agg2", All());
  FeedCollector tso(*gw, "tso", All());
  auto op = gw->ClientAs("operator");
  Publish(*op, "sud only", {"PS_SUD"});               // seq 1
  Publish(*op, "ovest only", {"PS_OVEST"});           // seq 2
  Publish(*op, "everyone");                           // seq 3
  Publish(*op, "sud and est", {"PS_SUD", "PS_EST"});  // seqs 4 (PS_EST), 5 (PS_SUD)
  ASSERT_TRUE(tso.WaitForEvents(5));
  ASSERT_TRUE(agg1.WaitForEvents(3));
  ASSERT_TRUE(agg2.WaitForEvents(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // room for a wrong extra event

  auto pccs = [](const FeedCollector& c) {
    std::vector<std::string> out;
    for (const auto& e : c.events()) out.push_back(e.pcc_id().empty() ? "*" : e.pcc_id());
    return out;
  };
  EXPECT_EQ(pccs(agg1), (std::vector<std::string>{"PS_SUD", "*", "PS_SUD"}));
  EXPECT_EQ(pccs(agg2), (std::vector<std::string>{"PS_OVEST", "*", "PS_EST"}));
  EXPECT_EQ(tso.events().size(), 5u);
  // The copy for PS_SUD does not tell agg-1 that PS_EST got the notice too.
  const std::vector<v1::Event> agg1_events = agg1.events();
  ASSERT_EQ(agg1_events.size(), 3u);
  const v1::Notice& shared = agg1_events[2].notice();
  EXPECT_EQ(shared.text(), "sud and est");
  EXPECT_EQ(std::vector<std::string>(shared.pcc_ids().begin(), shared.pcc_ids().end()),
            std::vector<std::string>{"PS_SUD"});

  // Asking for another aggregator's PCC is refused, not silently emptied.
  FeedCollector nosy(
      *gw, "agg1",
      [] {
        v1::SubscribeRequest r;
        r.add_pcc_ids("PS_OVEST");
        return r;
      }(),
      false);
  auto end = nosy.WaitForStreamEnd();
  EXPECT_EQ(end.code(), absl::StatusCode::kPermissionDenied) << end;
  EXPECT_NE(end.message().find("PS_OVEST"), absl::string_view::npos);
}

TEST(FeedTest, FiltersByTopicAndPccAndRejectsBadRequests) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  Publish(*op, "sud", {"PS_SUD"});
  Publish(*op, "est", {"PS_EST"});
  v1::SubscribeRequest only_est;
  only_est.add_pcc_ids("PS_EST");
  only_est.add_topics(v1::TOPIC_NOTICE);
  FeedCollector est(*gw, "tso", only_est, false);
  ASSERT_TRUE(est.WaitForEvents(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(est.events().size(), 1u);
  EXPECT_EQ(est.events()[0].pcc_id(), "PS_EST");
  EXPECT_EQ(est.events()[0].seq(), 2);

  auto expect_refused = [&](v1::SubscribeRequest r, absl::StatusCode code, const std::string& needle) {
    FeedCollector c(*gw, "tso", r, false);
    auto end = c.WaitForStreamEnd();
    EXPECT_EQ(end.code(), code) << end;
    EXPECT_NE(std::string(end.message()).find(needle), std::string::npos) << end;
  };
  v1::SubscribeRequest bad_topic;
  bad_topic.add_topics(static_cast<v1::Topic>(99));
  expect_refused(bad_topic, absl::StatusCode::kInvalidArgument, "topics[0]");
  v1::SubscribeRequest bad_pcc;
  bad_pcc.add_pcc_ids("NOWHERE");
  expect_refused(bad_pcc, absl::StatusCode::kInvalidArgument, "NOWHERE");
  expect_refused(All(-5), absl::StatusCode::kInvalidArgument, "resume_after_seq");
  expect_refused(All(1000), absl::StatusCode::kOutOfRange, "1000");
}

TEST(FeedTest, QuietFeedSendsHeartbeats) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  auto tso = gw->ClientAs("tso");
  int heartbeats = 0;
  int64_t head = -1;
  auto st = tso->Subscribe(All(), [&](const v1::Event& e) {
    if (!e.has_heartbeat()) return true;
    EXPECT_EQ(e.seq(), 0);
    head = e.heartbeat().head_seq();
    return ++heartbeats < 3;
  });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(heartbeats, 3);
  EXPECT_EQ(head, 0);
}

TEST(FeedTest, SlowSubscriberIsCutWithoutSlowingAFastOne) {
  GatewayOptions opts;
  opts.queue_capacity = 16;
  opts.replay_page = 8;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);

  // The slow consumer takes 200 ms per event: with a long text per event,
  // HTTP/2 flow control soon stops the gateway's writes, its queue fills,
  // and the gateway must end that stream rather than wait for it.
  FeedCollector slow(
      *gw, "tso", All(), false, [](const v1::Event&) { std::this_thread::sleep_for(std::chrono::milliseconds(200)); },
      64 * 1024);
  FeedCollector fast(*gw, "tso", All(), false);
  ASSERT_TRUE(slow.WaitForHeartbeat());
  ASSERT_TRUE(fast.WaitForHeartbeat());
  auto op = gw->ClientAs("operator");
  const std::string text(3900, 'x');
  const int n = 400;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) Publish(*op, text + std::to_string(i));
  ASSERT_TRUE(fast.WaitForEvents(n, 60000)) << "fast consumer got " << fast.events().size();
  auto fast_done = std::chrono::steady_clock::now();
  ExpectExactlyOnceInOrder(fast.seqs(), n);

  auto end = slow.WaitForStreamEnd(60000);
  EXPECT_EQ(end.code(), absl::StatusCode::kResourceExhausted) << end;
  EXPECT_NE(std::string(end.message()).find("resume_after_seq"), std::string::npos) << end;
  // The fast consumer finished while the slow one had seen a fraction.
  EXPECT_LT(slow.events().size(), static_cast<size_t>(n) / 2);
  std::printf(
      "fast consumer: %d events in %lld ms; slow consumer cut after %zu\n", n,
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(fast_done - started).count()),
      slow.events().size());

  // Resuming from its last seq, the slow consumer misses nothing.
  const int64_t last = slow.seqs().empty() ? 0 : slow.seqs().back();
  FeedCollector resumed(*gw, "tso", All(last), false);
  ASSERT_TRUE(resumed.WaitForEvents(n - last, 30000));
  auto seqs = slow.seqs();
  for (int64_t s : resumed.seqs()) seqs.push_back(s);
  ExpectExactlyOnceInOrder(seqs, n);
}

// The seq in a stream end's "resubscribe with resume_after_seq=N" hint, or -1.
int64_t ResumeHintSeq(const absl::Status& st) {
  const std::string message(st.message());
  const std::string key = "resume_after_seq=";
  const auto pos = message.find(key);
  if (pos == std::string::npos) return -1;
  return std::atoll(message.c_str() + pos + key.size());
}

bool WaitForLog(const GatewayProcess& gw, const std::string& text, int timeout_ms) {
  return WaitUntil([&] { return gw.Log().find(text) != std::string::npos; }, timeout_ms);
}

TEST(FeedTest, StalledSubscriberIsCutWithResourceExhaustedHoweverLongItStalls) {
  GatewayOptions opts;
  opts.queue_capacity = 16;
  opts.replay_page = 8;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);

  // This consumer stops reading at its first event and stays stalled well
  // past the time the gateway lets a write hang after the stream was cut:
  // the gateway's last write never completes.
  std::atomic<bool> release{false};
  FeedCollector stalled(
      *gw, "tso", All(), false,
      [&](const v1::Event&) {
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      },
      64 * 1024);
  ASSERT_TRUE(stalled.WaitForHeartbeat());
  auto op = gw->ClientAs("operator");
  const std::string text(3900, 'x');
  const int n = 200;
  for (int i = 0; i < n; ++i) Publish(*op, text + std::to_string(i));
  ASSERT_TRUE(WaitForLog(*gw, "subscriber fell behind", 30000)) << gw->Log();
  ASSERT_TRUE(WaitForLog(*gw, "stream stalled after it was ended", 30000)) << gw->Log();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(stalled.stream_ends().size(), 0u);
  release = true;

  // Back, it reads what reached it, then the promised status with its
  // resume hint; not CANCELLED.
  auto end = stalled.WaitForStreamEnd(30000);
  ASSERT_EQ(end.code(), absl::StatusCode::kResourceExhausted) << end;
  const int64_t hint = ResumeHintSeq(end);
  ASSERT_GT(hint, 0) << end;
  const auto seqs = stalled.seqs();
  ASSERT_FALSE(seqs.empty());
  EXPECT_LE(hint, seqs.back()) << end;
  EXPECT_LT(seqs.size(), static_cast<size_t>(n));

  // Resuming from the hint misses nothing; from the last seq processed, it
  // repeats nothing either.
  FeedCollector resumed(*gw, "tso", All(seqs.back()), false);
  ASSERT_TRUE(resumed.WaitForEvents(n - seqs.back(), 30000));
  auto all = seqs;
  for (int64_t s : resumed.seqs()) all.push_back(s);
  ExpectExactlyOnceInOrder(all, n);
  EXPECT_TRUE(gw->Alive());
}

// Publish as the operator until the database takes it again after an
// outage; the seqs written.
std::vector<int64_t> PublishWhenBack(client::Client& op, const std::string& text) {
  for (int i = 0; i < 100; ++i) {
    auto r = op.PublishNotice(NoticeRequest(text));
    if (r.ok()) return {r->event_seqs().begin(), r->event_seqs().end()};
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ADD_FAILURE() << "the database did not come back";
  return {};
}

std::vector<int64_t> SeqRange(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

// The gateway keeps its 10 most recent events in memory: a subscriber that
// resumes within them is served with the database down, one that resumes
// behind them reads the log, which it cannot while the database is down,
// until it has caught up with what memory holds. Both go a page of 4 events
// at a time, so that neither overfills its queue of 8.
TEST(FeedTest, ResumeWithinTheRecentEventsNeedsNoDatabaseOneBehindThemReadsTheLog) {
  GatewayOptions opts;
  opts.recent_events = 10;
  opts.queue_capacity = 8;
  opts.replay_page = 4;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  for (int i = 1; i <= 30; ++i) Publish(*op, "notice " + std::to_string(i));
  FeedCollector live(*gw, "tso", All(29), false);  // once it has 30, all 30 are dispatched
  ASSERT_TRUE(live.WaitForEvents(1));

  PgCluster::Get().Stop();
  FeedCollector within(*gw, "tso", All(22), false);
  ASSERT_TRUE(within.WaitForEvents(8)) << gw->Log();
  EXPECT_EQ(within.seqs(), SeqRange(23, 30));
  EXPECT_EQ(within.events().front().notice().text(), "notice 23");
  FeedCollector behind(*gw, "tso", All(5), false);
  const absl::Status refused = behind.WaitForStreamEnd();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_NE(std::string(refused.message()).find("resume_after_seq=5"), std::string::npos) << refused;
  EXPECT_TRUE(behind.seqs().empty());
  PgCluster::Get().Start();

  // The database pool's connections broke with the database, so a first
  // replay may still fail; the subscriber resubscribes from where it is, as
  // a client does.
  FeedCollector from_log(*gw, "tso", All(5));
  ASSERT_TRUE(from_log.WaitForEvents(25, 30000)) << gw->Log();
  EXPECT_EQ(from_log.seqs(), SeqRange(6, 30));
  // Both go on live with the next event, neither missing nor repeating one.
  const std::vector<int64_t> next = PublishWhenBack(*op, "after the outage");
  ASSERT_EQ(next.size(), 1u);
  ASSERT_TRUE(within.WaitForEvents(9, 30000)) << gw->Log();
  ASSERT_TRUE(from_log.WaitForEvents(26, 30000)) << gw->Log();
  std::vector<int64_t> expected = SeqRange(23, 30);
  expected.push_back(next[0]);
  EXPECT_EQ(within.seqs(), expected);
  expected = SeqRange(6, 30);
  expected.push_back(next[0]);
  EXPECT_EQ(from_log.seqs(), expected);
}

// What each party may see holds for events served from memory as for the
// log: an aggregator resuming gets its own PCC's events and the notices for
// everyone, a PCC filter keeps that PCC's events and those of no PCC.
TEST(FeedTest, ResumeFromMemoryKeepsEachSubscribersFilter) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  Publish(*op, "first");                  // 1
  Publish(*op, "sud", {"PS_SUD"});        // 2
  Publish(*op, "ovest", {"PS_OVEST"});    // 3
  Publish(*op, "everyone");               // 4
  Publish(*op, "sud again", {"PS_SUD"});  // 5
  FeedCollector agg1(*gw, "agg1", All(1), false);
  ASSERT_TRUE(agg1.WaitForEvents(3)) << gw->Log();
  v1::SubscribeRequest sud_only = All(2);
  sud_only.add_pcc_ids("PS_SUD");
  FeedCollector tso(*gw, "tso", sud_only, false);
  ASSERT_TRUE(tso.WaitForEvents(2)) << gw->Log();
  Publish(*op, "ovest again", {"PS_OVEST"});  // 6
  Publish(*op, "sud live", {"PS_SUD"});       // 7
  ASSERT_TRUE(agg1.WaitForEvents(4));
  ASSERT_TRUE(tso.WaitForEvents(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // room for a wrong extra event
  EXPECT_EQ(agg1.seqs(), (std::vector<int64_t>{2, 4, 5, 7}));
  EXPECT_EQ(tso.seqs(), (std::vector<int64_t>{4, 5, 7}));
}

// Many streams on one connection, as a real client runs them, resume at
// once while events keep coming, some within the recent events and some
// behind them: each gets every seq after its resume point once, in order.
TEST(FeedTest, ManyStreamsOnOneConnectionResumeWhileEventsKeepComing) {
  GatewayOptions opts;
  opts.recent_events = 20;
  opts.max_streams_per_party = 1000;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  for (int i = 1; i <= 40; ++i) Publish(*op, "before " + std::to_string(i));
  constexpr int kStreams = 200;
  constexpr int64_t kLast = 100;
  auto tso = gw->ClientAs("tso");  // one channel: every stream on one connection
  std::vector<std::vector<int64_t>> got(kStreams);
  std::vector<absl::Status> ended(kStreams);
  std::vector<std::thread> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.emplace_back([&, i] {
      ended[i] = tso->Subscribe(All(i % 40), [&](const v1::Event& e) {
        if (e.has_heartbeat()) return true;
        got[i].push_back(e.seq());
        return e.seq() < kLast;
      });
    });
  }
  for (int i = 41; i <= kLast; ++i) Publish(*op, "during " + std::to_string(i));
  for (auto& t : streams) t.join();
  for (int i = 0; i < kStreams; ++i) {
    EXPECT_TRUE(ended[i].ok()) << "stream " << i << ": " << ended[i];
    EXPECT_EQ(got[i], SeqRange(i % 40 + 1, kLast)) << "stream " << i;
  }
}

TEST(FeedTest, CliSubscribeKeepsItsPlaceInAStateFile) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  for (int i = 1; i <= 3; ++i) Publish(*op, "notice " + std::to_string(i), {"PS_SUD"});
  TempDir dir("cli");
  const std::string state = dir / "tso.seq";

  auto run = [&](int max_events, std::string* out) {
    auto argv = gw->CliAs("tso");
    for (std::string a : {"subscribe", "--json", "--state-file", state.c_str(), "--max-events"}) argv.push_back(a);
    argv.push_back(std::to_string(max_events));
    std::string err;
    int rc = RunCommand(argv, out, &err);
    EXPECT_EQ(rc, 0) << err;
  };
  std::string first, second;
  run(2, &first);
  EXPECT_NE(first.find("\"seq\":\"1\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"seq\":\"2\""), std::string::npos) << first;
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), 2);
  std::ifstream in(state);
  int64_t saved = 0;
  in >> saved;
  EXPECT_EQ(saved, 2);
  run(1, &second);  // resumes by itself after seq 2
  EXPECT_NE(second.find("\"seq\":\"3\""), std::string::npos) << second;
  EXPECT_EQ(second.find("\"seq\":\"1\""), std::string::npos) << second;
  EXPECT_NE(second.find("notice 3"), std::string::npos) << second;
}

}  // namespace
}  // namespace tsodso::testing
