// The events a group commit hands over after its COMMIT: every committed
// event once, in seq order within each hand-over, before the group's calls
// are answered, and exactly as the log reads them back.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "pg_fixture.h"
#include "store/db_pool.h"
#include "store/event_store.h"
#include "store/group_commit.h"

namespace tsodso::store {
namespace {

class GroupCommitSinkTest : public ::tsodso::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    pool_ = std::make_unique<DbPool>(dsn_, 4);
    groups_ = std::make_unique<GroupCommit>(*pool_, GroupCommit::kMaxMembers, 4096);
    groups_->SetCommittedSink([this](std::vector<core::StoredEvent> events) {
      std::lock_guard lock(mu_);
      ++handovers_;
      for (size_t i = 1; i < events.size(); ++i) {
        if (events[i].seq != events[i - 1].seq + 1) ++not_contiguous_;
      }
      for (core::StoredEvent& e : events) {
        if (!handed_.emplace(e.seq, std::move(e)).second) ++repeated_;
      }
    });
  }
  void TearDown() override {
    pool_->Shutdown();
    groups_.reset();
    pool_.reset();
  }

  // A call that appends `events` events with envelopes of every kind, then
  // fails when `fail`. Its answer lists its seqs, and how many of them had
  // been handed over when it was answered.
  struct Answer {
    absl::Status status;
    std::vector<int64_t> seqs;
    size_t handed_before_answer = 0;
  };
  std::future<Answer> Submit(int caller, int events, bool fail) {
    auto promise = std::make_shared<std::promise<Answer>>();
    auto answer = std::make_shared<Answer>();
    GroupMember m;
    m.body = [=](PgConnection& db) -> absl::Status {
      std::vector<core::EventDraft> drafts;
      for (int i = 0; i < events; ++i) {
        core::EventDraft d;
        d.envelope =
            core::Envelope{i % 2 == 0 ? core::Topic::kNotice : core::Topic::kFlexibility, i % 3 == 0 ? "" : "PS_SUD",
                           i % 4 == 0 ? "agg-1" : "", static_cast<core::RoleMask>(caller % 7 + 1)};
        d.payload = absl::StrCat(std::string(1, '\0'), "caller ", caller, " event ", i, "\xff");
        drafts.push_back(std::move(d));
      }
      auto stored = AppendEvents(db, drafts);
      if (!stored.ok()) return stored.status();
      answer->seqs.clear();
      for (const core::StoredEvent& e : *stored) answer->seqs.push_back(e.seq);
      if (fail) return absl::FailedPreconditionError(absl::StrCat("caller ", caller, " changed its mind"));
      return absl::OkStatus();
    };
    m.done = [this, promise, answer](const absl::Status& st) {
      answer->status = st;
      {
        std::lock_guard lock(mu_);
        for (int64_t seq : answer->seqs) answer->handed_before_answer += handed_.count(seq);
      }
      promise->set_value(*answer);
    };
    groups_->Submit(std::move(m));
    return promise->get_future();
  }

  std::unique_ptr<DbPool> pool_;
  std::unique_ptr<GroupCommit> groups_;
  std::mutex mu_;
  std::map<int64_t, core::StoredEvent> handed_;
  int handovers_ = 0;
  int not_contiguous_ = 0;
  int repeated_ = 0;
};

TEST_F(GroupCommitSinkTest, EveryCommittedEventIsHandedOverOnceBeforeItsCallIsAnsweredAndAsTheLogHoldsIt) {
  constexpr int kCallers = 32;
  constexpr int kCallsEach = 8;
  std::vector<std::thread> callers;
  std::mutex answers_mu;
  std::vector<Answer> answers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int i = 0; i < kCallsEach; ++i) {
        Answer a = Submit(c, 1 + (c + i) % 3, (c + i) % 5 == 0).get();
        std::lock_guard lock(answers_mu);
        answers.push_back(std::move(a));
      }
    });
  }
  for (auto& t : callers) t.join();

  size_t committed = 0;
  for (const Answer& a : answers) {
    if (!a.status.ok()) {
      EXPECT_EQ(a.status.code(), absl::StatusCode::kFailedPrecondition) << a.status;
      continue;
    }
    committed += a.seqs.size();
    EXPECT_EQ(a.handed_before_answer, a.seqs.size()) << "a call was answered before its events were handed over";
  }
  auto log = ReadEventsAfter(*conn_, 0, 100000);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), committed);
  std::lock_guard lock(mu_);
  EXPECT_EQ(not_contiguous_, 0);
  EXPECT_EQ(repeated_, 0);
  EXPECT_LT(handovers_, kCallers * kCallsEach) << "the calls were not grouped";
  // Only what was committed was handed over (not a failed call's events),
  // and each event exactly as the log holds it.
  ASSERT_EQ(handed_.size(), log->size());
  for (const core::StoredEvent& stored : *log) {
    SCOPED_TRACE(stored.seq);
    auto it = handed_.find(stored.seq);
    ASSERT_NE(it, handed_.end());
    const core::StoredEvent& handed = it->second;
    EXPECT_EQ(handed.published_at, stored.published_at);
    EXPECT_EQ(handed.envelope.topic, stored.envelope.topic);
    EXPECT_EQ(handed.envelope.pcc_id, stored.envelope.pcc_id);
    EXPECT_EQ(handed.envelope.recipient_party_id, stored.envelope.recipient_party_id);
    EXPECT_EQ(handed.envelope.audience, stored.envelope.audience);
    EXPECT_EQ(handed.payload, stored.payload);
  }
}

TEST_F(GroupCommitSinkTest, AGroupThatAppendsNothingOrFailsHandsNothingOver) {
  // A call that appends nothing.
  GroupMember quiet;
  std::promise<absl::Status> quiet_done;
  quiet.body = [](PgConnection& db) { return db.Exec("SELECT 1").status(); };
  quiet.done = [&](const absl::Status& st) { quiet_done.set_value(st); };
  groups_->Submit(std::move(quiet));
  EXPECT_TRUE(quiet_done.get_future().get().ok());
  // A group whose only call fails.
  EXPECT_EQ(Submit(1, 3, true).get().status.code(), absl::StatusCode::kFailedPrecondition);
  std::lock_guard lock(mu_);
  EXPECT_EQ(handovers_, 0);
  EXPECT_TRUE(handed_.empty());
}

}  // namespace
}  // namespace tsodso::store
