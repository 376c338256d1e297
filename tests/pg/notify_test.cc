#include <gtest/gtest.h>
#include <poll.h>

#include "absl/strings/str_cat.h"
#include "pg_fixture.h"
#include "store/event_store.h"

namespace tsodso::store {
namespace {

class EventNotifyTest : public ::tsodso::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure()) return;
    listener_ = Connect();
    ASSERT_NE(listener_, nullptr);
    auto r = listener_->Exec(absl::StrCat("LISTEN ", kEventChannel));
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // Wait up to `timeout` for notifications on the listener; return what came.
  std::vector<std::string> Await(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    std::vector<std::string> got;
    while (got.empty()) {
      const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (left <= 0) break;
      pollfd pfd{listener_->socket(), POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left)) <= 0) break;
      auto notes = listener_->DrainNotifications();
      if (!notes.ok()) {
        ADD_FAILURE() << notes.status();
        break;
      }
      got.insert(got.end(), notes->begin(), notes->end());
    }
    return got;
  }

  absl::Status Publish(int n, bool commit) {
    return InTransaction(*conn_, [&]() -> absl::Status {
      std::vector<core::EventDraft> drafts(n);
      for (auto& d : drafts) d.payload = commit ? "kept" : "dropped";
      auto r = AppendEvents(*conn_, drafts);
      if (!r.ok()) return r.status();
      return commit ? absl::OkStatus() : absl::CancelledError("roll back");
    });
  }

  std::unique_ptr<PgConnection> listener_;
};

TEST_F(EventNotifyTest, CommitIsAnnouncedWithTheLastSeq) {
  ASSERT_TRUE(Publish(3, true).ok());
  EXPECT_EQ(Await(absl::Seconds(5)), (std::vector<std::string>{"3"}));
  ASSERT_TRUE(Publish(1, true).ok());
  EXPECT_EQ(Await(absl::Seconds(5)), (std::vector<std::string>{"4"}));
}

TEST_F(EventNotifyTest, RollbackIsNotAnnounced) {
  EXPECT_EQ(Publish(2, false).code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(Await(absl::Milliseconds(300)).empty()) << "a rolled-back append was announced";
  // The listener still works, and the first announced seq is 1: the
  // rolled-back numbers were given back.
  ASSERT_TRUE(Publish(1, true).ok());
  EXPECT_EQ(Await(absl::Seconds(5)), (std::vector<std::string>{"1"}));
}

TEST_F(EventNotifyTest, NothingIsAnnouncedBeforeCommit) {
  absl::Status st = InTransaction(*conn_, [&]() -> absl::Status {
    auto r = AppendEvents(*conn_, {core::EventDraft{}});
    if (!r.ok()) return r.status();
    EXPECT_TRUE(Await(absl::Milliseconds(200)).empty()) << "announced before COMMIT";
    return absl::OkStatus();
  });
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Await(absl::Seconds(5)), (std::vector<std::string>{"1"}));
}

}  // namespace
}  // namespace tsodso::store
