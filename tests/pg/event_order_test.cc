// The key property of the event log: a reader that has seen seq N never
// later finds a smaller seq, however publishers interleave, and rolled-back
// publishers leave no gaps.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "pg_fixture.h"
#include "store/event_store.h"

namespace tsodso::store {
namespace {

constexpr int kPublishers = 8;
constexpr int kTransactionsEach = 60;

class EventOrderTest : public ::tsodso::testing::PgTest {};

TEST_F(EventOrderTest, ConcurrentPublishersCommitInSeqOrderWithoutGaps) {
  std::mutex mu;
  std::map<int64_t, std::string> committed;  // seq -> payload, as AppendEvents returned them
  std::vector<std::string> publisher_errors;
  std::atomic<int> rolled_back{0};
  std::atomic<int> publishers_done{0};

  auto publish = [&](int publisher) {
    auto conn = PgConnection::Open(dsn_);
    if (!conn.ok()) {
      std::lock_guard lock(mu);
      publisher_errors.push_back(std::string(conn.status().message()));
      publishers_done++;
      return;
    }
    std::mt19937 rng(1234 + publisher);
    std::uniform_int_distribution<int> pause_us(0, 3000);
    std::uniform_int_distribution<int> batch(1, 3);
    std::uniform_int_distribution<int> percent(0, 99);
    for (int t = 0; t < kTransactionsEach; ++t) {
      const bool roll_back = percent(rng) < 10;
      const int n = batch(rng);
      std::vector<core::EventDraft> drafts;
      for (int i = 0; i < n; ++i) {
        core::EventDraft d;
        d.envelope.pcc_id = "PS_SUD";
        d.payload = absl::StrCat("p", publisher, "-t", t, "-e", i, roll_back ? "-rollback" : "-commit");
        drafts.push_back(std::move(d));
      }
      std::vector<core::StoredEvent> appended;
      absl::Status st = InTransaction(**conn, [&]() -> absl::Status {
        std::this_thread::sleep_for(std::chrono::microseconds(pause_us(rng)));
        auto r = AppendEvents(**conn, drafts);
        if (!r.ok()) return r.status();
        appended = std::move(*r);
        std::this_thread::sleep_for(std::chrono::microseconds(pause_us(rng)));
        if (roll_back) return absl::CancelledError("publisher changed its mind");
        return absl::OkStatus();
      });
      std::lock_guard lock(mu);
      if (roll_back) {
        if (st.code() != absl::StatusCode::kCancelled) {
          publisher_errors.push_back(absl::StrCat("rollback: ", st.ToString()));
        }
        rolled_back++;
      } else if (!st.ok()) {
        publisher_errors.push_back(st.ToString());
      } else {
        for (const auto& e : appended) {
          if (!committed.emplace(e.seq, e.payload).second) {
            publisher_errors.push_back(absl::StrCat("seq ", e.seq, " was handed out to two commits"));
          }
        }
      }
    }
    publishers_done++;
  };

  // The reader checks, batch by batch, that what becomes visible always
  // continues exactly where the last batch ended.
  std::vector<std::string> reader_errors;
  int64_t reader_last_seen = 0;
  int reader_batches = 0;
  std::thread reader([&] {
    auto conn = PgConnection::Open(dsn_);
    if (!conn.ok()) {
      reader_errors.push_back(std::string(conn.status().message()));
      return;
    }
    while (true) {
      const bool finished = publishers_done.load() == kPublishers;
      auto batch = ReadEventsAfter(**conn, reader_last_seen, 1000);
      if (!batch.ok()) {
        reader_errors.push_back(batch.status().ToString());
        return;
      }
      if (!batch->empty()) ++reader_batches;
      for (const core::StoredEvent& e : *batch) {
        if (e.seq <= reader_last_seen) {
          reader_errors.push_back(absl::StrCat("saw seq ", e.seq, " after ", reader_last_seen));
        } else if (e.seq != reader_last_seen + 1) {
          reader_errors.push_back(absl::StrCat("gap: after ", reader_last_seen, " the next visible seq was ", e.seq));
        }
        if (e.payload.find("rollback") != std::string::npos) {
          reader_errors.push_back(absl::StrCat("rolled-back event visible at seq ", e.seq, ": ", e.payload));
        }
        reader_last_seen = std::max(reader_last_seen, e.seq);
      }
      if (finished && batch->empty()) return;  // publishers were done before this read began
    }
  });

  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) publishers.emplace_back(publish, p);
  for (auto& t : publishers) t.join();
  reader.join();

  // The first few errors tell the story; a broken log produces hundreds.
  for (size_t i = 0; i < std::min<size_t>(publisher_errors.size(), 10); ++i) {
    ADD_FAILURE() << "publisher: " << publisher_errors[i];
  }
  for (size_t i = 0; i < std::min<size_t>(reader_errors.size(), 10); ++i) {
    ADD_FAILURE() << "reader: " << reader_errors[i];
  }
  ASSERT_TRUE(publisher_errors.empty() && reader_errors.empty())
      << publisher_errors.size() << " publisher and " << reader_errors.size() << " reader errors";

  const int64_t n = static_cast<int64_t>(committed.size());
  EXPECT_GT(n, kPublishers * kTransactionsEach / 2);
  EXPECT_GT(rolled_back.load(), 0) << "the run exercised no rollback";
  EXPECT_GT(reader_batches, 1) << "the reader never overlapped the publishers";
  EXPECT_EQ(reader_last_seen, n);

  // The log holds exactly the committed events, numbered 1..N.
  auto head = HeadSeq(*conn_);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, n);
  EXPECT_EQ(Count("events"), n);
  auto all = ReadEventsAfter(*conn_, 0, 100000);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(static_cast<int64_t>(all->size()), n);
  for (int64_t i = 0; i < n; ++i) {
    const core::StoredEvent& e = (*all)[i];
    ASSERT_EQ(e.seq, i + 1);
    EXPECT_EQ(e.payload, committed[e.seq]) << "seq " << e.seq << " holds another event than its publisher was told";
    EXPECT_EQ(e.payload.find("rollback"), std::string::npos) << e.payload;
  }
  EXPECT_EQ(
      Sql("SELECT count(*) FROM events WHERE position('rollback' in convert_from(payload, 'UTF8')) > 0").Int64(0, 0),
      0);
}

}  // namespace
}  // namespace tsodso::store
