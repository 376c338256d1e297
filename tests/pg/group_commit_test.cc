// Group commit: calls that arrive together share one transaction, a failing
// call is rolled back alone, a failed COMMIT fails the whole group (and a
// retry with the same idempotency key then succeeds), and the event log and
// the audit chain stay as if every call had committed on its own.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pg_fixture.h"
#include "store/audit_store.h"
#include "store/db_pool.h"
#include "store/event_store.h"
#include "store/group_commit.h"
#include "store/idempotency.h"

namespace tsodso::store {
namespace {

constexpr char kMethod[] = "/test.Group/Publish";
// Every member writes a row here, with the transaction it ran in.
constexpr char kCreateTable[] = "CREATE TABLE group_rows (key text PRIMARY KEY, txid bigint NOT NULL)";
constexpr char kInsertRow[] = "INSERT INTO group_rows (key, txid) VALUES ($1, txid_current()) RETURNING txid";
// A check PostgreSQL runs at COMMIT: while `fail_commit` holds a row,
// every COMMIT of a transaction that wrote to group_rows fails.
constexpr char kFailCommitTrigger[] =
    "CREATE TABLE fail_commit (why text);"
    "CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "  IF EXISTS (SELECT 1 FROM fail_commit) THEN RAISE EXCEPTION 'commit refused by the test'; END IF; "
    "  RETURN NULL; END $$;"
    "CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON group_rows DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION refuse_commit();";

// What one member was answered.
struct Answer {
  std::string key;
  absl::Status status;
  std::vector<int64_t> seqs;
  int64_t txid = 0;
  bool replayed = false;
};

class GroupCommitTest : public ::tsodso::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    Sql(kCreateTable);
    pool_ = std::make_unique<DbPool>(dsn_, 4);
    groups_ = std::make_unique<GroupCommit>(*pool_, GroupCommit::kMaxMembers, 4096);
  }
  void TearDown() override {
    pool_->Shutdown();
    groups_.reset();
    pool_.reset();
  }

  // Submit a member that does what a publishing call does: claim its
  // idempotency key, write its row, append `events` events and remember
  // its answer (the seqs, then its transaction). With `fail`, it fails
  // (FAILED_PRECONDITION) once it has written all that.
  std::future<Answer> Submit(const std::string& key, int events = 1, bool fail = false,
                             Numbering numbering = Numbering::kInCall, const char* also = nullptr) {
    auto promise = std::make_shared<std::promise<Answer>>();
    auto answer = std::make_shared<Answer>();
    answer->key = key;
    GroupMember m;
    m.body = [=](PgConnection& db) -> absl::Status {
      const IdempotencyKey id{"party", kMethod, key};
      auto earlier = ClaimIdempotencyKey(db, id, "digest of " + key);
      if (!earlier.ok()) return earlier.status();
      if (earlier->has_value()) {
        answer->replayed = true;
        return absl::OkStatus();
      }
      auto row = db.Exec(kInsertRow, {key});
      if (!row.ok()) return row.status();
      answer->txid = row->Int64(0, 0);
      if (also != nullptr) {
        if (auto st = db.Exec(also).status(); !st.ok()) return st;
      }
      std::vector<core::EventDraft> drafts;
      for (int i = 0; i < events; ++i) drafts.push_back({core::Envelope{}, absl::StrCat(key, "/", i)});
      auto stored = AppendEvents(db, drafts);
      if (!stored.ok()) return stored.status();
      answer->seqs.clear();
      for (const core::StoredEvent& e : *stored) answer->seqs.push_back(e.seq);
      if (auto st = RememberResponse(db, id, "digest of " + key, absl::StrJoin(answer->seqs, ",")); !st.ok()) return st;
      if (fail) return absl::FailedPreconditionError(absl::StrCat(key, " changed its mind"));
      return absl::OkStatus();
    };
    m.audit = [key](const absl::Status& st) {
      return std::optional<AuditEntry>(
          AuditEntry{"party", kMethod, st.ok() ? "OK" : std::string(absl::StatusCodeToString(st.code())), key, ""});
    };
    m.done = [promise, answer](const absl::Status& st) {
      answer->status = st;
      promise->set_value(*answer);
    };
    m.numbering = numbering;
    groups_->Submit(std::move(m));
    return promise->get_future();
  }

  // Start the groups anew: at most `parallel` groups numbered at commit at
  // once, `max_members` calls per group, on a pool of `workers`.
  void Restart(int parallel, int max_members = GroupCommit::kMaxMembers, int workers = 4) {
    pool_->Shutdown();
    groups_.reset();
    pool_ = std::make_unique<DbPool>(dsn_, workers);
    groups_ = std::make_unique<GroupCommit>(*pool_, max_members, 4096, parallel);
  }

  struct Call {
    int events = 1;
    Numbering numbering = Numbering::kInCall;
    const char* also = nullptr;
  };
  // `writers` threads, each making `calls_each` calls one after another:
  // call i of writer w is `call(w, i)`, keyed "w<w>-<i>". Every answer, and
  // into `events_of` how many events each key appended.
  std::vector<Answer> Write(int writers, int calls_each, const std::function<Call(int, int)>& call,
                            std::map<std::string, int>& events_of) {
    std::mutex mu;
    std::vector<Answer> answers;
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&, w] {
        for (int i = 0; i < calls_each; ++i) {
          const std::string key = absl::StrCat("w", w, "-", i);
          const Call c = call(w, i);
          Answer a = Submit(key, c.events, false, c.numbering, c.also).get();
          std::lock_guard lock(mu);
          events_of[key] = c.events;
          answers.push_back(std::move(a));
        }
      });
    }
    for (auto& t : threads) t.join();
    return answers;
  }

  // Five calls in one group, the first and the third failing once they
  // have written their rows, events and answers (the first without a
  // savepoint before it, the third with); `release` lets the group run once
  // all five wait. The failed ones are rolled back alone, the others commit
  // together, every call audited in call order. Returns the answers.
  std::vector<Answer> FiveCallsTwoFailing(Numbering kind, const std::function<void(size_t)>& release) {
    std::vector<std::future<Answer>> calls;
    calls.push_back(Submit("first-fails", 2, true, kind));
    calls.push_back(Submit("second", 1, false, kind));
    calls.push_back(Submit("third-fails", 2, true, kind));
    calls.push_back(Submit("fourth", 2, false, kind));
    calls.push_back(Submit("fifth", 1, false, kind));
    release(calls.size());
    std::vector<Answer> a;
    for (auto& c : calls) a.push_back(c.get());
    EXPECT_EQ(a[0].status.code(), absl::StatusCode::kFailedPrecondition) << a[0].status;
    EXPECT_EQ(a[2].status.code(), absl::StatusCode::kFailedPrecondition) << a[2].status;
    for (int i : {1, 3, 4}) EXPECT_TRUE(a[i].status.ok()) << i << ": " << a[i].status;
    EXPECT_EQ(a[1].txid, a[3].txid);
    EXPECT_EQ(a[3].txid, a[4].txid);
    ExpectLogOf(4);
    EXPECT_EQ(Count("idempotency_keys"), 3);
    EXPECT_EQ(Sql("SELECT string_agg(request_digest || ' ' || outcome, ',' ORDER BY id) FROM audit_log").Text(0, 0),
              "first-fails FAILED_PRECONDITION,second OK,third-fails FAILED_PRECONDITION,fourth OK,fifth OK");
    auto chain = VerifyAuditLog(*conn_);
    EXPECT_TRUE(chain.ok()) << chain.status();
    if (chain.ok()) {
      EXPECT_EQ(chain->records, 5);
    }
    return a;
  }

  // Groups numbered at commit take their calls at once, whatever holds the
  // counter. To gather calls into one group, keep a group busy with a call
  // that waits for `Unblock`, so that the next group of that kind (with
  // `parallel` 1) starts only once it has finished.
  void Block() {
    unblock_ = std::make_shared<std::promise<void>>();
    GroupMember m;
    m.numbering = Numbering::kAtCommit;
    std::shared_future<void> go = unblock_->get_future().share();
    m.ready = [go] {
      go.wait();
      return absl::OkStatus();
    };
    groups_->Submit(std::move(m));
    for (int i = 0; i < 500 && groups_->queued() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(groups_->queued(), 0u);
  }
  void Unblock(size_t expect_queued) {
    for (int i = 0; i < 500 && groups_->queued() < expect_queued; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(groups_->queued(), expect_queued);
    unblock_->set_value();
  }

  // The events of each call in `answers` are stored, contiguous and in one
  // transaction, as many as it appended (`events_of`).
  void ExpectEventsOf(const std::vector<Answer>& answers, const std::map<std::string, int>& events_of) {
    auto all = ReadEventsAfter(*conn_, 0, 100000);
    ASSERT_TRUE(all.ok()) << all.status();
    std::map<std::string, std::vector<int64_t>> seqs_of;
    for (const core::StoredEvent& e : *all) seqs_of[e.payload.substr(0, e.payload.find('/'))].push_back(e.seq);
    for (const Answer& a : answers) {
      const std::vector<int64_t>& seqs = seqs_of[a.key];
      ASSERT_EQ(static_cast<int>(seqs.size()), events_of.at(a.key)) << a.key;
      for (size_t i = 1; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[i - 1] + 1) << a.key;
    }
  }

  // Hold the event counter's lock from another session: the next group
  // waits for it before it takes its members, so every call submitted
  // meanwhile joins that one group.
  void HoldCounter() {
    holder_ = Connect();
    ASSERT_TRUE(holder_->Exec("BEGIN").ok());
    ASSERT_TRUE(holder_->Exec("SELECT last_seq FROM event_seq FOR UPDATE").ok());
  }
  void ReleaseCounter(size_t expect_queued) {
    for (int i = 0; i < 500 && groups_->queued() < expect_queued; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(groups_->queued(), expect_queued);
    ASSERT_TRUE(holder_->Exec("ROLLBACK").ok());
  }

  // The log holds events 1..n, without gaps, and the counter says n.
  void ExpectLogOf(int64_t n) {
    EXPECT_EQ(Count("events"), n);
    EXPECT_EQ(Sql("SELECT coalesce(max(seq), 0) FROM events").Int64(0, 0), n);
    EXPECT_EQ(Sql("SELECT last_seq FROM event_seq").Int64(0, 0), n);
  }

  std::unique_ptr<DbPool> pool_;
  std::unique_ptr<GroupCommit> groups_;
  std::unique_ptr<PgConnection> holder_;
  std::shared_ptr<std::promise<void>> unblock_;
};

TEST_F(GroupCommitTest, SixtyFourConcurrentWritersShareTransactionsAndTheLogStaysGapFreeAndOrdered) {
  constexpr int kWriters = 64;
  constexpr int kCallsEach = 15;
  std::mutex mu;
  std::vector<Answer> answers;
  std::atomic<int> writers_done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kCallsEach; ++i) {
        Answer a = Submit(absl::StrCat("w", w, "-", i), 1 + (w + i) % 3).get();
        std::lock_guard lock(mu);
        answers.push_back(std::move(a));
      }
      ++writers_done;
    });
  }
  // A reader meanwhile: what becomes visible always continues exactly
  // where it last ended.
  std::vector<std::string> reader_errors;
  std::thread reader([&] {
    auto conn = Connect();
    int64_t last = 0;
    while (true) {
      const bool finished = writers_done.load() == kWriters;
      auto batch = ReadEventsAfter(*conn, last, 1000);
      if (!batch.ok()) {
        reader_errors.push_back(batch.status().ToString());
        return;
      }
      for (const core::StoredEvent& e : *batch) {
        if (e.seq != last + 1) reader_errors.push_back(absl::StrCat("after seq ", last, " came ", e.seq));
        last = e.seq;
      }
      if (finished && batch->empty()) return;
    }
  });
  for (auto& t : writers) t.join();
  reader.join();
  EXPECT_TRUE(reader_errors.empty()) << absl::StrJoin(reader_errors, "\n");

  std::set<int64_t> seqs;
  std::map<int64_t, int> calls_per_transaction;
  for (const Answer& a : answers) {
    ASSERT_TRUE(a.status.ok()) << a.status;
    EXPECT_FALSE(a.replayed);
    for (int64_t s : a.seqs) EXPECT_TRUE(seqs.insert(s).second) << "seq " << s << " handed out twice";
    ++calls_per_transaction[a.txid];
  }
  const int64_t n = static_cast<int64_t>(seqs.size());
  ASSERT_EQ(answers.size(), static_cast<size_t>(kWriters * kCallsEach));
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), n);
  ExpectLogOf(n);
  // Every stored event is the one its call was told it has.
  auto all = ReadEventsAfter(*conn_, 0, 100000);
  ASSERT_TRUE(all.ok()) << all.status();
  std::map<int64_t, std::string> owner;
  for (const core::StoredEvent& e : *all) owner[e.seq] = e.payload.substr(0, e.payload.find('/'));
  for (const Answer& a : answers) {
    for (int64_t s : a.seqs) EXPECT_EQ(owner[s], a.key) << "seq " << s;
  }

  // Calls were grouped: fewer transactions than calls, the events of one
  // transaction written by one statement (one xmin), the counter moved once
  // per transaction.
  int shared = 0;
  for (const auto& [txid, calls] : calls_per_transaction) shared += calls > 1 ? calls : 0;
  const GroupCommitStats stats = groups_->stats();
  std::cout << "[ figures  ] " << answers.size() << " calls in " << calls_per_transaction.size()
            << " transactions; largest group " << stats.largest << "\n";
  EXPECT_GT(shared, kWriters) << "too few calls shared a transaction";
  EXPECT_LT(calls_per_transaction.size(), answers.size() / 4);
  EXPECT_EQ(stats.members, static_cast<int64_t>(answers.size()));
  EXPECT_EQ(stats.groups, static_cast<int64_t>(calls_per_transaction.size()));
  EXPECT_GT(stats.largest, 1);
  EXPECT_EQ(Sql("SELECT count(DISTINCT xmin::text) FROM events").Int64(0, 0),
            static_cast<int64_t>(calls_per_transaction.size()));

  auto chain = VerifyAuditLog(*conn_);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->records, static_cast<int64_t>(answers.size()));
}

TEST_F(GroupCommitTest, AFailingCallIsRolledBackAloneAndItsNeighboursCommit) {
  HoldCounter();
  const std::vector<Answer> a =
      FiveCallsTwoFailing(Numbering::kInCall, [this](size_t queued) { ReleaseCounter(queued); });
  // Numbered in their order, and told so.
  EXPECT_EQ(a[1].seqs, std::vector<int64_t>({1}));
  EXPECT_EQ(a[3].seqs, std::vector<int64_t>({2, 3}));
  EXPECT_EQ(a[4].seqs, std::vector<int64_t>({4}));
  EXPECT_EQ(Sql("SELECT string_agg(key, ',' ORDER BY key) FROM group_rows").Text(0, 0), "fifth,fourth,second");
  EXPECT_EQ(groups_->stats().groups, 1);

  // A failed key was given back: asked again, the call runs.
  Answer again = Submit("third-fails", 1).get();
  ASSERT_TRUE(again.status.ok()) << again.status;
  EXPECT_FALSE(again.replayed);
  EXPECT_EQ(again.seqs, std::vector<int64_t>({5}));
}

TEST_F(GroupCommitTest, AKeyUsedTwiceInOneGroupIsAppliedOnceAndAFailedOnesKeyIsFreeAgain) {
  HoldCounter();
  std::vector<std::future<Answer>> calls;
  calls.push_back(Submit("twice", 2));
  calls.push_back(Submit("twice", 2));
  calls.push_back(Submit("retried", 1, true));
  calls.push_back(Submit("retried", 1));
  // A member that fails before any statement, between members that wrote:
  // nothing of theirs is rolled back.
  auto refused = std::make_shared<std::promise<absl::Status>>();
  GroupMember nothing;
  nothing.body = [](PgConnection&) { return absl::InvalidArgumentError("idempotency_key: '' is empty"); };
  nothing.done = [refused](const absl::Status& st) { refused->set_value(st); };
  groups_->Submit(std::move(nothing));
  calls.push_back(Submit("last", 1));
  ReleaseCounter(calls.size() + 1);
  std::vector<Answer> a;
  for (auto& c : calls) a.push_back(c.get());
  EXPECT_EQ(refused->get_future().get().code(), absl::StatusCode::kInvalidArgument);

  for (int i : {0, 1, 3, 4}) ASSERT_TRUE(a[i].status.ok()) << i << ": " << a[i].status;
  EXPECT_FALSE(a[0].replayed);
  EXPECT_EQ(a[0].seqs, std::vector<int64_t>({1, 2}));
  // The second call with the key finds the first's answer, not yet
  // committed but in the same group.
  EXPECT_TRUE(a[1].replayed);
  EXPECT_EQ(a[2].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(a[3].replayed);
  EXPECT_EQ(a[3].seqs, std::vector<int64_t>({3}));
  EXPECT_EQ(a[4].seqs, std::vector<int64_t>({4}));
  ExpectLogOf(4);
  EXPECT_EQ(Sql("SELECT string_agg(key, ',' ORDER BY key) FROM group_rows").Text(0, 0), "last,retried,twice");
  EXPECT_EQ(Sql("SELECT string_agg(idempotency_key || '=' || convert_from(response, 'UTF8'), ',' "
                "ORDER BY idempotency_key) FROM idempotency_keys")
                .Text(0, 0),
            "last=4,retried=3,twice=1,2");
  EXPECT_EQ(groups_->stats().groups, 1);

  // Asked again in a later group, each is answered from what was stored.
  Answer twice = Submit("twice", 2).get();
  ASSERT_TRUE(twice.status.ok()) << twice.status;
  EXPECT_TRUE(twice.replayed);
  ExpectLogOf(4);
}

TEST_F(GroupCommitTest, AFailedCommitFailsEveryCallOfTheGroupAndARetryWithTheSameKeySucceeds) {
  ASSERT_TRUE(conn_->ExecScript(kFailCommitTrigger).ok());
  Sql("INSERT INTO fail_commit VALUES ('disk full')");
  const std::vector<std::string> keys = {"a", "b", "c", "d"};
  HoldCounter();
  std::vector<std::future<Answer>> calls;
  for (const std::string& k : keys) calls.push_back(Submit(k, 1));
  ReleaseCounter(keys.size());
  for (auto& c : calls) {
    Answer a = c.get();
    EXPECT_FALSE(a.status.ok());
    EXPECT_NE(a.status.message().find("commit refused by the test"), std::string::npos) << a.status;
  }
  // Nothing of the group was stored; each refusal is audited.
  EXPECT_EQ(Count("group_rows"), 0);
  EXPECT_EQ(Count("idempotency_keys"), 0);
  ExpectLogOf(0);
  EXPECT_EQ(Sql("SELECT count(*) FROM audit_log WHERE outcome <> 'OK'").Int64(0, 0), 4);

  // The callers retry with their keys and are answered as first asked.
  Sql("DELETE FROM fail_commit");
  std::set<int64_t> seqs;
  HoldCounter();
  calls.clear();
  for (const std::string& k : keys) calls.push_back(Submit(k, 1));
  ReleaseCounter(keys.size());
  for (auto& c : calls) {
    Answer a = c.get();
    ASSERT_TRUE(a.status.ok()) << a.status;
    EXPECT_FALSE(a.replayed);
    seqs.insert(a.seqs.begin(), a.seqs.end());
  }
  EXPECT_EQ(seqs, std::set<int64_t>({1, 2, 3, 4}));
  ExpectLogOf(4);
  EXPECT_EQ(Count("group_rows"), 4);
  auto chain = VerifyAuditLog(*conn_);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->records, 8);
}

TEST_F(GroupCommitTest, OneMemberPerGroupCommitsEachCallAlone) {
  Restart(1, 1, 2);
  HoldCounter();
  std::vector<std::future<Answer>> calls;
  for (const char* k : {"x", "y", "z"}) calls.push_back(Submit(k, 1));
  ReleaseCounter(3);
  std::set<int64_t> txids;
  for (auto& c : calls) {
    Answer a = c.get();
    ASSERT_TRUE(a.status.ok()) << a.status;
    txids.insert(a.txid);
  }
  EXPECT_EQ(txids.size(), 3u);
  EXPECT_EQ(groups_->stats().largest, 1);
  ExpectLogOf(3);
}

TEST_F(GroupCommitTest, GroupsNumberedAtCommitRunSideBySideAndTheLogStaysGapFreeAndOrdered) {
  Restart(3);
  std::map<std::string, int> events_of;
  const std::vector<Answer> answers = Write(
      64, 15,
      [](int w, int i) {
        return Call{1 + (w + i) % 3, Numbering::kAtCommit};
      },
      events_of);

  std::set<int64_t> txids;
  int64_t n = 0;
  for (const Answer& a : answers) {
    ASSERT_TRUE(a.status.ok()) << a.key << ": " << a.status;
    EXPECT_FALSE(a.replayed);
    // Numbered at commit: the call was never told a seq.
    for (int64_t s : a.seqs) EXPECT_EQ(s, 0);
    n += events_of[a.key];
    txids.insert(a.txid);
  }
  ExpectLogOf(n);
  ExpectEventsOf(answers, events_of);
  // The events of one transaction are one run of seqs: transactions took
  // the counter one after the other.
  EXPECT_EQ(Sql("SELECT count(*) FROM (SELECT xmin::text AS tx, max(seq) - min(seq) + 1 AS span, count(*) AS n "
                "FROM events GROUP BY xmin::text) t WHERE span <> n")
                .Int64(0, 0),
            0);
  const GroupCommitStats stats = groups_->stats();
  std::cout << "[ figures  ] " << answers.size() << " calls in " << txids.size() << " transactions; largest group "
            << stats.largest << ", at most " << stats.most_at_once << " groups at once\n";
  EXPECT_LT(txids.size(), answers.size() / 4);
  EXPECT_EQ(stats.groups, static_cast<int64_t>(txids.size()));
  EXPECT_GT(stats.most_at_once, 1) << "groups numbered at commit never ran side by side";
  EXPECT_LE(stats.most_at_once, 3);
  EXPECT_EQ(Count("idempotency_keys"), static_cast<int64_t>(answers.size()));
  auto chain = VerifyAuditLog(*conn_);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->records, static_cast<int64_t>(answers.size()));
}

TEST_F(GroupCommitTest, CallsOfBothKindsNeverWaitForEachOtherInACycle) {
  // Every call also updates one row. A group numbered in the call takes it
  // after the counter, one numbered at commit before: run side by side they
  // would deadlock (PostgreSQL would then fail one after a second).
  Sql("CREATE TABLE hot (n bigint NOT NULL)");
  Sql("INSERT INTO hot VALUES (0)");
  Restart(3);
  constexpr int kWriters = 32;
  constexpr int kCallsEach = 10;
  std::map<std::string, int> events_of;
  const std::vector<Answer> answers = Write(
      kWriters, kCallsEach,
      [](int w, int i) {
        return Call{1, (w + i) % 2 == 0 ? Numbering::kInCall : Numbering::kAtCommit, "UPDATE hot SET n = n + 1"};
      },
      events_of);
  for (const Answer& a : answers) ASSERT_TRUE(a.status.ok()) << a.key << ": " << a.status;
  const int64_t n = kWriters * kCallsEach;
  EXPECT_EQ(Sql("SELECT n FROM hot").Int64(0, 0), n);
  ExpectLogOf(n);
  ExpectEventsOf(answers, events_of);
  // A call numbered in the call was told the seq its event has.
  auto all = ReadEventsAfter(*conn_, 0, 100000);
  ASSERT_TRUE(all.ok()) << all.status();
  std::map<int64_t, std::string> owner;
  for (const core::StoredEvent& e : *all) owner[e.seq] = e.payload.substr(0, e.payload.find('/'));
  for (const Answer& a : answers) {
    for (int64_t s : a.seqs) {
      if (s != 0) {
        EXPECT_EQ(owner[s], a.key) << "seq " << s;
      }
    }
  }
  auto chain = VerifyAuditLog(*conn_);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->records, n);
}

TEST_F(GroupCommitTest, OneKeyAskedAtOnceInGroupsSideBySideIsAppliedOnce) {
  Restart(3);
  for (int round = 0; round < 10; ++round) {
    const std::string key = absl::StrCat("same-", round);
    std::vector<std::future<Answer>> calls;
    std::vector<std::thread> callers;
    std::mutex mu;
    for (int c = 0; c < 12; ++c) {
      callers.emplace_back([&] {
        auto f = Submit(key, 2, false, Numbering::kAtCommit);
        std::lock_guard lock(mu);
        calls.push_back(std::move(f));
      });
    }
    for (auto& t : callers) t.join();
    int applied = 0;
    for (auto& c : calls) {
      Answer a = c.get();
      ASSERT_TRUE(a.status.ok()) << a.status;
      applied += a.replayed ? 0 : 1;
    }
    EXPECT_EQ(applied, 1) << key;
  }
  EXPECT_EQ(Count("group_rows"), 10);
  EXPECT_EQ(Count("idempotency_keys"), 10);
  ExpectLogOf(20);
}

TEST_F(GroupCommitTest, NumberedAtCommitAFailingCallIsRolledBackAloneAndTheOthersAreNumberedInOrder) {
  Restart(1);
  Block();
  FiveCallsTwoFailing(Numbering::kAtCommit, [this](size_t queued) { Unblock(queued); });
  EXPECT_EQ(Sql("SELECT string_agg(payload_text, ',' ORDER BY seq) FROM (SELECT seq, convert_from(payload, 'UTF8') "
                "AS payload_text FROM events) e")
                .Text(0, 0),
            "second/0,fourth/0,fourth/1,fifth/0");
}

TEST_F(GroupCommitTest, WhenCallsOfBothKindsWaitTheKindsTakeTurns) {
  Restart(1);
  Block();
  std::vector<std::future<Answer>> in_call, at_commit;
  for (int i = 0; i < 3; ++i) {
    in_call.push_back(Submit(absl::StrCat("in-call-", i), 1));
    at_commit.push_back(Submit(absl::StrCat("at-commit-", i), 1, false, Numbering::kAtCommit));
  }
  Unblock(6);
  std::set<int64_t> in_call_tx, at_commit_tx;
  std::set<int64_t> seqs;
  for (auto& f : in_call) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "a call was never run";
    Answer a = f.get();
    ASSERT_TRUE(a.status.ok()) << a.status;
    in_call_tx.insert(a.txid);
    seqs.insert(a.seqs.begin(), a.seqs.end());
  }
  for (auto& f : at_commit) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "a call was never run";
    Answer a = f.get();
    ASSERT_TRUE(a.status.ok()) << a.status;
    at_commit_tx.insert(a.txid);
  }
  // The blocked group was numbered at commit: the calls numbered in the call
  // went next, in one group, then the others, in one group.
  EXPECT_EQ(in_call_tx.size(), 1u);
  EXPECT_EQ(at_commit_tx.size(), 1u);
  EXPECT_EQ(seqs, std::set<int64_t>({1, 2, 3}));
  ExpectLogOf(6);
}

TEST_F(GroupCommitTest, NumberedAtCommitACallThatRunsNoStatementLeavesTheGroupOneTransaction) {
  Restart(1);
  Block();
  // First in its group, answered from memory (a directory read).
  auto answered = std::make_shared<std::promise<absl::Status>>();
  GroupMember from_memory;
  from_memory.numbering = Numbering::kAtCommit;
  from_memory.body = [](PgConnection&) { return absl::OkStatus(); };
  from_memory.done = [answered](const absl::Status& st) { answered->set_value(st); };
  groups_->Submit(std::move(from_memory));
  std::future<Answer> a = Submit("a", 1, false, Numbering::kAtCommit);
  std::future<Answer> b = Submit("b", 1, false, Numbering::kAtCommit);
  Unblock(3);
  EXPECT_TRUE(answered->get_future().get().ok());
  const Answer first = a.get();
  const Answer second = b.get();
  ASSERT_TRUE(first.status.ok()) << first.status;
  ASSERT_TRUE(second.status.ok()) << second.status;
  // Both in the group's one transaction, not each in a transaction of its
  // own statement.
  EXPECT_EQ(first.txid, second.txid);
  ExpectLogOf(2);
}

}  // namespace
}  // namespace tsodso::store
