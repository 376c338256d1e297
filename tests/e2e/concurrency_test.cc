// Many calls at once on one connection, as every gRPC client makes them: a
// TSO's control system or an aggregator's platform keeps one channel and
// has unary calls and streams in flight on it from many threads. The daemon
// must survive, answer every call, and not grow with the number of calls a
// connection has made.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "e2e/e2e_util.h"
#include "store/event_store.h"

namespace tsodso::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Calls made and the first few failures, shared by the worker threads.
class Tally {
 public:
  void Count(const absl::Status& st, const char* what) {
    ++calls_;
    if (st.ok()) return;
    std::lock_guard lock(mu_);
    if (failures_.size() < 10) failures_.push_back(std::string(what) + ": " + st.ToString());
    ++failed_;
  }
  int calls() const { return calls_; }
  int failed() const {
    std::lock_guard lock(mu_);
    return failed_;
  }
  std::string failures() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& f : failures_) out += f + "\n";
    return out;
  }

 private:
  std::atomic<int> calls_{0};
  mutable std::mutex mu_;
  int failed_ = 0;
  std::vector<std::string> failures_;
};

// Threads per connection (TSODSO_CONCURRENCY_THREADS, default 16) and how
// long they run (TSODSO_CONCURRENCY_SECONDS, default 8): a sanitizer build
// runs the same test, slower.
int EnvOr(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

TEST(ConcurrencyTest, ThreadsShareOneConnectionForUnaryCallsAndStreams) {
  GatewayOptions options;
  options.heartbeat_ms = 200;
  // Streams opened and cancelled in a loop count against their party until
  // gRPC has torn them down, which on a loaded machine trails the cancel;
  // the per-party limit has its own test (limits_test.cc), this one is
  // about sharing a connection.
  options.max_streams_per_party = 1000;
  auto gw = StartGateway(options);
  ASSERT_NE(gw, nullptr);
  // One client is one channel: every thread's calls share its connection.
  auto op = gw->ClientAs("operator");
  auto tso = gw->ClientAs("tso");
  ASSERT_TRUE(op->WhoAmI().ok());
  ASSERT_TRUE(tso->WhoAmI().ok());

  const int threads = EnvOr("TSODSO_CONCURRENCY_THREADS", 16);
  const auto until = Clock::now() + std::chrono::seconds(EnvOr("TSODSO_CONCURRENCY_SECONDS", 8));
  Tally tally;
  std::mutex seqs_mu;
  std::set<int64_t> published;  // seqs of every acknowledged notice
  std::atomic<int> streams{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      // Mostly the operator's connection; the TSO's has calls in flight too.
      client::Client& c = (t % 8 == 7) ? *tso : *op;
      int i = 0;
      while (Clock::now() < until) {
        ++i;
        switch (t % 4) {
          case 0: {  // the operator publishes
            auto r = c.PublishNotice(NoticeRequest("concurrent " + std::to_string(t) + "-" + std::to_string(i)));
            tally.Count(r.status(), "PublishNotice");
            if (r.ok()) {
              std::lock_guard lock(seqs_mu);
              published.insert(r->event_seqs().begin(), r->event_seqs().end());
            }
            break;
          }
          case 1:
          case 3: {  // who am I, and the PCCs I may see
            for (int k = 0; k < 4; ++k) {
              auto who = c.WhoAmI();
              tally.Count(who.status(), "WhoAmI");
              if (who.ok() && who->party_id() != (&c == op.get() ? "dso-operator" : "tso-terna")) {
                tally.Count(absl::InternalError("WhoAmI answered " + who->party_id()), "WhoAmI");
              }
            }
            tally.Count(c.ListPccs().status(), "ListPccs");
            // The health check runs the identity check and nothing else.
            tally.Count(c.Health(), "Health");
            break;
          }
          case 2: {  // a stream opened, read briefly and cancelled
            v1::SubscribeRequest req;
            req.set_resume_after_seq(0);
            int seen = 0;
            // Cancel after a few events, or at the first heartbeat.
            absl::Status st =
                c.Subscribe(req, [&](const v1::Event& e) { return !e.has_heartbeat() && ++seen < 1 + (i % 5); });
            tally.Count(st, "Subscribe");
            ++streams;
            break;
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();

  EXPECT_EQ(tally.failed(), 0) << tally.failures();
  std::cout << "[ figures  ] " << tally.calls() << " calls and " << streams.load() << " streams on two connections\n";
  EXPECT_GT(tally.calls(), 8 * threads) << "too few calls to mean anything";
  EXPECT_GT(streams.load(), 0);
  ASSERT_TRUE(gw->Alive()) << gw->Log();
  ASSERT_TRUE(op->WhoAmI().ok());

  // Nothing acknowledged was lost: every notice's event is in the feed.
  std::set<int64_t> missing;
  {
    std::lock_guard lock(seqs_mu);
    missing = published;
  }
  ASSERT_FALSE(missing.empty());
  auto reader = gw->ClientAs("tso");
  std::mutex missing_mu;
  std::atomic<bool> all_seen{false};
  std::thread timer([&] {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline && !all_seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    reader->Cancel();
  });
  (void)reader->Subscribe(All(), [&](const v1::Event& e) {
    std::lock_guard lock(missing_mu);
    if (e.has_notice()) missing.erase(e.seq());
    all_seen = missing.empty();
    return !all_seen;
  });
  all_seen = true;  // stops the timer either way
  timer.join();
  EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged notices never reached the feed";

  // A clean exit: no crash, no sanitizer report (a TSan build exits 66).
  EXPECT_EQ(gw->Terminate(), 0) << gw->Log();
  EXPECT_EQ(gw->Log().find("ThreadSanitizer"), std::string::npos) << gw->Log();
}

// Sixty-four publishers at once, each on a connection of its own, some of
// their notices refused for an unknown PCC: the calls share transactions
// (group commit), yet every acknowledged event has its own seq, the log is
// 1..N without gaps, each refusal fails alone and is audited, and the audit
// chain verifies.
TEST(ConcurrencyTest, SixtyFourPublishersShareTransactionsAndTheLogAndAuditChainHold) {
  GatewayOptions options;
  options.dsn = PgCluster::Get().NewDatabase();
  options.pool_size = 4;
  auto gw = StartGateway(options);
  ASSERT_NE(gw, nullptr);
  constexpr int kPublishers = 64;
  constexpr int kCallsEach = 10;
  std::vector<std::unique_ptr<client::Client>> ops;
  for (int i = 0; i < kPublishers; ++i) ops.push_back(gw->ClientAs("operator"));
  Tally tally;
  std::atomic<int> refused{0};
  std::mutex seqs_mu;
  std::vector<int64_t> seqs;
  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      for (int i = 0; i < kCallsEach; ++i) {
        const bool bad = (p + i) % 5 == 0;
        auto r = ops[p]->PublishNotice(
            NoticeRequest("grouped " + std::to_string(p) + "-" + std::to_string(i),
                          bad ? std::vector<std::string>{"PS_NOWHERE"} : std::vector<std::string>{}));
        if (bad) {
          tally.Count(r.status().code() == absl::StatusCode::kInvalidArgument
                          ? absl::OkStatus()
                          : absl::InternalError("a notice for an unknown PCC was answered " + r.status().ToString()),
                      "PublishNotice (unknown PCC)");
          ++refused;
          continue;
        }
        tally.Count(r.status(), "PublishNotice");
        if (!r.ok()) continue;
        std::lock_guard lock(seqs_mu);
        seqs.insert(seqs.end(), r->event_seqs().begin(), r->event_seqs().end());
      }
    });
  }
  for (auto& t : publishers) t.join();
  ASSERT_EQ(tally.failed(), 0) << tally.failures();

  std::sort(seqs.begin(), seqs.end());
  const int64_t n = static_cast<int64_t>(seqs.size());
  ASSERT_EQ(n, kPublishers * kCallsEach - refused.load());
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seqs[i], i + 1) << "seqs are not 1..N";
  auto db = store::PgConnection::Open(options.dsn);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(QueryCount(**db, "SELECT count(*) FROM events"), n);
  EXPECT_EQ(QueryCount(**db, "SELECT last_seq FROM event_seq"), n);
  EXPECT_EQ(QueryCount(**db, "SELECT count(*) FROM notices"), n);
  // Each group writes its events with one statement: one inserting
  // transaction (xmin) per group.
  const int64_t groups = QueryCount(**db, "SELECT count(DISTINCT xmin::text) FROM events");
  std::cout << "[ figures  ] " << n << " notices published in " << groups << " transactions\n";
  EXPECT_LT(groups, n / 2) << "the publishers' calls were not grouped";
  EXPECT_EQ(QueryCount(**db,
                       "SELECT count(*) FROM audit_log WHERE method LIKE '%PublishNotice' AND outcome = "
                       "'INVALID_ARGUMENT'"),
            refused.load());

  std::string out, err;
  ASSERT_EQ(RunCommand({BinPath("tsodso-gatewayd"), "audit", "verify", "--config", gw->config_path()}, &out, &err), 0)
      << out << err;
  EXPECT_NE(out.find("audit chain intact"), std::string::npos) << out;
  EXPECT_EQ(gw->Terminate(), 0) << gw->Log();
}

// The daemon's memory does not grow with the number of calls one
// connection has made: the caller's identity is looked up, not stored per
// call.
TEST(ConcurrencyTest, MemoryStaysFlatOverTwentyThousandCallsOnOneConnection) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  auto c = gw->ClientAs("agg1");
  constexpr int kThreads = 8;
  auto run = [&](int calls_per_thread) {
    Tally tally;
    std::vector<std::thread> workers;
    for (int t = 0; t < kThreads; ++t) {
      workers.emplace_back([&] {
        for (int i = 0; i < calls_per_thread; ++i) tally.Count(c->WhoAmI().status(), "WhoAmI");
      });
    }
    for (auto& w : workers) w.join();
    EXPECT_EQ(tally.failed(), 0) << tally.failures();
  };
  // Warm up: threads, pools, arenas and prepared statements reach their size.
  run(250);
  const int64_t before = gw->RssKib();
  const auto start = Clock::now();
  run(20000 / kThreads);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const int64_t after = gw->RssKib();
  ASSERT_GT(before, 0);
  std::cout << "[ figures  ] RSS " << before << " KiB before, " << after << " KiB after 20000 calls on one connection ("
            << static_cast<int>(20000 / seconds) << " calls/s)\n";
  EXPECT_LT(after - before, 4 * 1024) << "the daemon grew by " << (after - before) << " KiB over 20000 calls";
  ASSERT_TRUE(gw->Alive());
}

// The value of an unlabelled counter or gauge in Prometheus's text format;
// -1 when absent.
double MetricValue(const std::string& body, const std::string& name) {
  const std::string prefix = name + " ";
  for (size_t at = 0; at < body.size();) {
    const size_t end = std::min(body.find('\n', at), body.size());
    if (body.compare(at, prefix.size(), prefix) == 0) return std::stod(body.substr(at + prefix.size(), end - at));
    at = end + 1;
  }
  return -1;
}

// Sixteen publishers on connections of their own, a writer outside any
// group (as the flexibility and forecast publishers write, or another
// replica) and the flexibility publisher's first cycle, while subscribers
// come along: a group's events reach the streams as soon as it commits
// (handed over), the others when the log is read, and every stream gets
// every event once, in seq order, without a gap. A stream that replays the
// whole log afterwards reads the same events, byte for byte.
TEST(ConcurrencyTest, HandedOverAndLoggedEventsReachEveryStreamOnceInOrder) {
  GatewayOptions options;
  options.dsn = PgCluster::Get().NewDatabase();
  options.pool_size = 4;
  options.flexibility = true;
  options.recent_events = 0;  // a late stream replays from the log, not from memory
  options.metrics_listen = "127.0.0.1:0";
  auto gw = StartGateway(options);
  ASSERT_NE(gw, nullptr);

  // The operator receives every event.
  std::vector<std::unique_ptr<FeedCollector>> streams;
  for (int i = 0; i < 6; ++i) streams.push_back(std::make_unique<FeedCollector>(*gw, "operator", All()));
  constexpr int kPublishers = 16;
  constexpr int kCallsEach = 25;
  std::vector<std::unique_ptr<client::Client>> ops;
  for (int i = 0; i < kPublishers; ++i) ops.push_back(gw->ClientAs("operator"));

  std::atomic<bool> publishing{true};
  std::atomic<int> outside{0};
  std::thread writer([&] {
    auto db = store::PgConnection::Open(options.dsn);
    ASSERT_TRUE(db.ok()) << db.status();
    while (publishing) {
      v1::Event payload;
      payload.mutable_notice()->set_text("outside " + std::to_string(outside.load()));
      core::EventDraft draft{core::Envelope{core::Topic::kNotice, "", "", core::kAllRoles},
                             payload.SerializeAsString()};
      absl::Status st = store::InTransaction(**db, [&] { return store::AppendEvents(**db, {draft}).status(); });
      ASSERT_TRUE(st.ok()) << st;
      ++outside;
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  Tally tally;
  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      for (int i = 0; i < kCallsEach; ++i) {
        tally.Count(
            ops[p]->PublishNotice(NoticeRequest("grouped " + std::to_string(p) + "-" + std::to_string(i))).status(),
            "PublishNotice");
      }
    });
  }
  // More streams while the publishers run: they replay from the log and
  // switch to live among the hand-overs.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    streams.push_back(std::make_unique<FeedCollector>(*gw, "operator", All()));
  }
  for (auto& t : publishers) t.join();
  publishing = false;
  writer.join();
  ASSERT_EQ(tally.failed(), 0) << tally.failures();
  ASSERT_GT(outside.load(), 0);

  const int64_t head = QueryCount(options.dsn, "SELECT last_seq FROM event_seq");
  ASSERT_GE(head, kPublishers * kCallsEach + outside.load());
  // Replays the whole log: nothing of it is in memory.
  streams.push_back(std::make_unique<FeedCollector>(*gw, "operator", All()));
  for (size_t s = 0; s < streams.size(); ++s) {
    SCOPED_TRACE("stream " + std::to_string(s));
    ASSERT_TRUE(streams[s]->WaitForEvents(static_cast<size_t>(head), 60000)) << gw->Log();
    const std::vector<int64_t> seqs = streams[s]->seqs();
    // The forecast publisher may have written more since: check them all.
    for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], static_cast<int64_t>(i) + 1) << "at position " << i;
  }
  // Both paths carried events: the flexibility publisher's and the outside
  // writer's through the log, the groups' handed over.
  const std::vector<v1::Event> first = streams.front()->events();
  const std::vector<v1::Event> replayed = streams.back()->events();
  int flexibility = 0;
  int written_outside = 0;
  for (int64_t i = 0; i < head; ++i) {
    if (first[i].topic() == v1::TOPIC_FLEXIBILITY) ++flexibility;
    if (first[i].has_notice() && first[i].notice().text().rfind("outside ", 0) == 0) ++written_outside;
    ASSERT_EQ(first[i].SerializeAsString(), replayed[i].SerializeAsString()) << "seq " << i + 1 << " live:\n"
                                                                             << first[i].DebugString() << "replayed:\n"
                                                                             << replayed[i].DebugString();
  }
  EXPECT_GT(flexibility, 0);
  EXPECT_EQ(written_outside, outside.load());
  std::string body;
  ASSERT_EQ(HttpGet("http://127.0.0.1:" + std::to_string(gw->metrics_port()) + "/metrics", &body), 200) << body;
  const double handed_over = MetricValue(body, "tsodso_feed_events_handed_over_total");
  std::cout << "[ figures  ] " << head << " events, " << handed_over << " of them handed over by their group, "
            << outside.load() << " written outside groups\n";
  EXPECT_GT(handed_over, 0) << "no group handed its events over";
  EXPECT_LE(handed_over, head - outside.load());
  for (auto& s : streams) s->Stop();
  EXPECT_EQ(gw->Terminate(), 0) << gw->Log();
}

}  // namespace
}  // namespace tsodso::testing
