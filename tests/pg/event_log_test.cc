#include <gtest/gtest.h>

#include "pg_fixture.h"
#include "store/event_store.h"
#include "support/status_testing.h"

namespace tsodso::store {
namespace {

using core::EventDraft;
using core::StoredEvent;

class EventLogTest : public ::tsodso::testing::PgTest {
 protected:
  absl::StatusOr<std::vector<StoredEvent>> Commit(const std::vector<EventDraft>& drafts) {
    std::vector<StoredEvent> out;
    absl::Status st = InTransaction(*conn_, [&]() -> absl::Status {
      auto appended = AppendEvents(*conn_, drafts);
      if (!appended.ok()) return appended.status();
      out = std::move(*appended);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }
  static EventDraft Draft(std::string payload, std::string pcc = "") {
    EventDraft d;
    d.envelope.pcc_id = std::move(pcc);
    d.payload = std::move(payload);
    return d;
  }
};

TEST_F(EventLogTest, EmptyLogHasHeadZero) {
  auto head = HeadSeq(*conn_);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, 0);
  auto events = ReadEventsAfter(*conn_, 0, 100);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_TRUE(events->empty());
}

TEST_F(EventLogTest, AppendNumbersDraftsConsecutively) {
  auto first = Commit({Draft("a"), Draft("b"), Draft("c")});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].seq, 1);
  EXPECT_EQ((*first)[2].seq, 3);
  // One time for the whole transaction.
  EXPECT_EQ((*first)[0].published_at, (*first)[2].published_at);
  auto second = Commit({Draft("d")});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)[0].seq, 4);
  EXPECT_GE((*second)[0].published_at, (*first)[0].published_at);
  EXPECT_EQ(*HeadSeq(*conn_), 4);
}

TEST_F(EventLogTest, EmptyAppendTakesNoNumber) {
  auto none = Commit({});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(*HeadSeq(*conn_), 0);
}

TEST_F(EventLogTest, RolledBackAppendLeavesNoGap) {
  ASSERT_TRUE(Commit({Draft("kept-1")}).ok());
  absl::Status st = InTransaction(*conn_, [&]() -> absl::Status {
    auto appended = AppendEvents(*conn_, {Draft("lost-1"), Draft("lost-2")});
    if (!appended.ok()) return appended.status();
    EXPECT_EQ(appended->front().seq, 2);
    return absl::AbortedError("caller gave up");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(*HeadSeq(*conn_), 1);

  auto next = Commit({Draft("kept-2")});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ((*next)[0].seq, 2);  // the rolled-back numbers were given back

  auto all = ReadEventsAfter(*conn_, 0, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].seq, 1);
  EXPECT_EQ((*all)[0].payload, "kept-1");
  EXPECT_EQ((*all)[1].seq, 2);
  EXPECT_EQ((*all)[1].payload, "kept-2");
}

TEST_F(EventLogTest, ReadAfterHonoursLimitAndOrder) {
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(Commit({Draft("e" + std::to_string(i))}).ok());
  auto page = ReadEventsAfter(*conn_, 3, 4);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*page)[i].seq, static_cast<int64_t>(4 + i));
    EXPECT_EQ((*page)[i].payload, "e" + std::to_string(4 + i));
  }
  auto tail = ReadEventsAfter(*conn_, 8, 1000);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[1].seq, 10);
  auto beyond = ReadEventsAfter(*conn_, 10, 1000);
  ASSERT_TRUE(beyond.ok());
  EXPECT_TRUE(beyond->empty());
  auto all = ReadEventsAfter(*conn_, 0, 1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 10u);
}

TEST_F(EventLogTest, BinaryPayloadRoundTrips) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  const std::string with_nuls("\0a\0\0b\xff\0", 7);
  const std::string empty;
  auto appended = Commit({Draft(every_byte), Draft(with_nuls), Draft(empty)});
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto read = ReadEventsAfter(*conn_, 0, 10);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 3u);
  EXPECT_EQ((*read)[0].payload, every_byte);
  EXPECT_EQ((*read)[0].payload.size(), 256u);
  EXPECT_EQ((*read)[1].payload, with_nuls);
  EXPECT_EQ((*read)[1].payload.size(), 7u);
  EXPECT_EQ((*read)[2].payload, empty);
}

TEST_F(EventLogTest, EnvelopeRoundTrips) {
  EventDraft addressed;
  addressed.envelope = core::Envelope{core::Topic::kNotice, "PS_SUD", "agg-1",
                                      core::RoleBit(core::Role::kAggregator) | core::RoleBit(core::Role::kTso)};
  addressed.payload = "x";
  EventDraft broadcast;
  broadcast.envelope = core::Envelope{core::Topic::kNotice, "", "", core::kAllRoles};
  broadcast.payload = "y";
  auto appended = Commit({addressed, broadcast});
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto read = ReadEventsAfter(*conn_, 0, 10);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const StoredEvent& got = (*read)[i];
    const StoredEvent& want = (*appended)[i];
    EXPECT_EQ(got.seq, want.seq);
    EXPECT_EQ(got.published_at, want.published_at) << "stored time differs from the time returned at append";
    EXPECT_EQ(got.envelope.topic, want.envelope.topic);
    EXPECT_EQ(got.envelope.pcc_id, want.envelope.pcc_id);
    EXPECT_EQ(got.envelope.recipient_party_id, want.envelope.recipient_party_id);
    EXPECT_EQ(got.envelope.audience, want.envelope.audience);
    EXPECT_EQ(got.payload, want.payload);
  }
  EXPECT_EQ((*read)[0].envelope.pcc_id, "PS_SUD");
  EXPECT_EQ((*read)[0].envelope.recipient_party_id, "agg-1");
  EXPECT_EQ((*read)[0].envelope.audience, core::RoleBit(core::Role::kAggregator) | core::RoleBit(core::Role::kTso));
  EXPECT_EQ((*read)[1].envelope.audience, core::kAllRoles);
  // The time is the database's clock, close to ours.
  EXPECT_LT(absl::AbsDuration((*read)[0].published_at - absl::Now()), absl::Minutes(1));
}

// The time of an event is stored to the microsecond at any date, so that
// the events a group hands to the feed and the same events read back from
// the log encode to the same bytes. The database's clock is replaced, for
// this connection only, by one the test sets; each time below lost a
// microsecond when it was written through a double of seconds.
TEST_F(EventLogTest, ATimeFarFromNowIsStoredToTheMicrosecond) {
  Sql("CREATE SCHEMA fake_clock");
  Sql("CREATE TABLE fake_clock.now_is (at timestamptz NOT NULL)");
  Sql("INSERT INTO fake_clock.now_is VALUES (now())");
  Sql("CREATE FUNCTION fake_clock.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS "
      "'SELECT at FROM fake_clock.now_is'");
  // Listed before pg_catalog, the schema's clock_timestamp() is the one
  // the event counter's lock calls.
  Sql("SET search_path = fake_clock, public, pg_catalog");
  for (const char* at : {"2026-12-06 23:41:32.123457", "2111-12-24 03:34:50.000113", "2125-09-23 23:41:11.933617",
                         "2250-06-01 12:00:00.000001", "9999-12-31 23:59:59.999999", "1969-12-31 23:59:58.500001"}) {
    SCOPED_TRACE(at);
    absl::Time want;
    std::string err;
    ASSERT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M:%E*S", at, absl::UTCTimeZone(), &want, &err)) << err;
    Sql("UPDATE fake_clock.now_is SET at = $1::timestamptz", {std::string(at) + "+00"});
    auto appended = Commit({Draft(at)});
    ASSERT_TRUE(appended.ok()) << appended.status();
    EXPECT_EQ(appended->front().published_at, want);
    auto read = ReadEventsAfter(*conn_, appended->front().seq - 1, 1);
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_EQ(read->size(), 1u);
    EXPECT_EQ(read->front().published_at, want) << "stored " << absl::FormatTime(read->front().published_at);
  }
}

TEST_F(EventLogTest, UncommittedEventsAreInvisibleToOthers) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  absl::Status st = InTransaction(*conn_, [&]() -> absl::Status {
    auto appended = AppendEvents(*conn_, {Draft("pending")});
    if (!appended.ok()) return appended.status();
    auto seen = ReadEventsAfter(*other, 0, 10);
    EXPECT_TRUE(seen.ok() && seen->empty()) << "another connection saw an uncommitted event";
    auto head = HeadSeq(*other);
    EXPECT_TRUE(head.ok() && *head == 0) << "HeadSeq counted an uncommitted event";
    return absl::OkStatus();
  });
  ASSERT_TRUE(st.ok()) << st;
  auto seen = ReadEventsAfter(*other, 0, 10);
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].payload, "pending");
}

}  // namespace
}  // namespace tsodso::store
