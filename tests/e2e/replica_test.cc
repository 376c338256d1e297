// Two gateway replicas on one database: an event written through one
// reaches the subscribers of the other at once (LISTEN/NOTIFY, not the
// 2 s safety poll); a subscriber moves between replicas with
// resume_after_seq and misses nothing; flexibility and forecasts are
// published by one replica only, and by the other when that one stops.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

GatewayOptions Replica(const std::string& dsn, bool flexibility = false) {
  GatewayOptions opts;
  opts.dsn = dsn;
  opts.flexibility = flexibility;
  return opts;
}

TEST(ReplicaTest, AnEventWrittenThroughOneReplicaReachesTheOthersSubscribersAtOnce) {
  const std::string dsn = PgCluster::Get().NewDatabase();
  auto a = StartGateway(Replica(dsn));
  ASSERT_NE(a, nullptr);
  auto b = StartGateway(Replica(dsn));
  ASSERT_NE(b, nullptr);
  auto op = a->ClientAs("operator");

  // Each notice goes in through A; the TSO's stream is on B. Take the
  // worst delay from the answer (after COMMIT) to B's delivery.
  std::mutex mu;
  std::condition_variable cv;
  std::map<int64_t, std::chrono::steady_clock::time_point> delivered;
  v1::SubscribeRequest all;
  FeedCollector tso_on_b(*b, "tso", all, true, [&](const v1::Event& e) {
    std::lock_guard lock(mu);
    delivered[e.seq()] = std::chrono::steady_clock::now();
    cv.notify_all();
  });
  ASSERT_TRUE(tso_on_b.WaitForHeartbeat()) << b->Log();
  std::chrono::milliseconds worst{0};
  for (int i = 0; i < 10; ++i) {
    const auto seqs = Publish(*op, "through A " + std::to_string(i));
    ASSERT_EQ(seqs.size(), 1u);
    const auto committed = std::chrono::steady_clock::now();
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return delivered.count(seqs[0]) > 0; }))
        << "seq " << seqs[0] << " never reached B\n"
        << b->Log();
    worst = std::max(worst, std::chrono::duration_cast<std::chrono::milliseconds>(delivered[seqs[0]] - committed));
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The safety poll runs every 2 s: a delivery that waited for it would
  // take up to that long.
  EXPECT_LT(worst.count(), 500) << "worst delay " << worst.count() << " ms";
}

TEST(ReplicaTest, ASubscriberMovesBetweenReplicasAndMissesNothing) {
  const std::string dsn = PgCluster::Get().NewDatabase();
  auto a = StartGateway(Replica(dsn));
  ASSERT_NE(a, nullptr);
  auto b = StartGateway(Replica(dsn));
  ASSERT_NE(b, nullptr);
  auto op_a = a->ClientAs("operator");
  auto op_b = b->ClientAs("operator");
  std::atomic<bool> publishing{true};
  // Notices go in through both replicas, alternately, while the TSO hops.
  std::thread writer([&] {
    for (int i = 0; i < 60; ++i) Publish(i % 2 == 0 ? *op_a : *op_b, "notice " + std::to_string(i));
    publishing = false;
  });
  auto tso_a = a->ClientAs("tso");
  auto tso_b = b->ClientAs("tso");
  std::vector<int64_t> seen;
  int hops = 0;
  while (seen.size() < 60) {
    client::Client& via = hops % 2 == 0 ? *tso_a : *tso_b;
    int in_this_stream = 0;
    auto st = via.Subscribe(All(seen.empty() ? 0 : seen.back()), [&](const v1::Event& e) {
      if (e.has_heartbeat()) return true;
      seen.push_back(e.seq());
      return ++in_this_stream < 5 && seen.size() < 60;
    });
    ASSERT_TRUE(st.ok()) << st;
    ++hops;
  }
  writer.join();
  EXPECT_GE(hops, 12);
  ASSERT_EQ(seen.size(), 60u);
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], static_cast<int64_t>(i) + 1) << "at " << i;
}

TEST(ReplicaTest, OneReplicaPublishesFlexibilityAndForecastsAndTheOtherTakesOver) {
  const std::string dsn = PgCluster::Get().NewDatabase();
  auto a = StartGateway(Replica(dsn, true));
  ASSERT_NE(a, nullptr);
  v1::SubscribeRequest published;
  published.add_topics(v1::TOPIC_FLEXIBILITY);
  published.add_topics(v1::TOPIC_FORECAST);
  FeedCollector tso(*a, "tso", published);
  // A's first round: one FLEXIBILITY event and two forecasts.
  ASSERT_TRUE(tso.WaitForEvents(3, 60000)) << a->Log();
  auto b = StartGateway(Replica(dsn, true));
  ASSERT_NE(b, nullptr);
  // B starts while A holds the lock: it publishes nothing.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_EQ(tso.events().size(), 3u) << b->Log();

  // A stops; B takes over: a new intraday forecast is due only next ISP,
  // but the flexibility round is published at once.
  EXPECT_EQ(a->Terminate(), 0);
  FeedCollector tso_on_b(*b, "tso", published);
  const auto flexibility_events = [&] {
    int n = 0;
    for (const v1::Event& e : tso_on_b.events()) n += e.topic() == v1::TOPIC_FLEXIBILITY;
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (flexibility_events() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(flexibility_events(), 2) << b->Log();
}

}  // namespace
}  // namespace tsodso::testing
