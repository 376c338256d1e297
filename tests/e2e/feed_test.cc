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
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (gw.Log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
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
