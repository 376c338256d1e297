#include "store/idempotency.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pg_fixture.h"
#include "support/status_testing.h"

namespace tsodso::store {
namespace {

using ::tsodso::testing::StatusIs;

const IdempotencyKey kKey{"dso-operator", "/tsodso.v1.OperatorService/PublishNotice", "notice-42"};

class IdempotencyTest : public ::tsodso::testing::PgTest {
 protected:
  // Claim the key in a transaction of its own; remember `response` when the
  // key was new.
  absl::StatusOr<std::optional<std::string>> ClaimAndRemember(PgConnection& conn, const IdempotencyKey& key,
                                                              const std::string& digest, const std::string& response) {
    std::optional<std::string> previous;
    absl::Status st = InTransaction(conn, [&]() -> absl::Status {
      auto claimed = ClaimIdempotencyKey(conn, key, digest);
      if (!claimed.ok()) return claimed.status();
      previous = *claimed;
      if (previous) return absl::OkStatus();
      return RememberResponse(conn, key, digest, response);
    });
    if (!st.ok()) return st;
    return previous;
  }
};

TEST_F(IdempotencyTest, FirstClaimIsNewThenTheStoredResponseIsReturned) {
  const std::string response("resp\0onse\xff", 10);
  auto first = ClaimAndRemember(*conn_, kKey, "digest-a", response);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->has_value());

  auto again = ClaimAndRemember(*conn_, kKey, "digest-a", "a different response");
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ(**again, response);
  EXPECT_EQ(Count("idempotency_keys"), 1);
}

TEST_F(IdempotencyTest, SameKeyForADifferentRequestIsAlreadyExists) {
  ASSERT_TRUE(ClaimAndRemember(*conn_, kKey, "digest-a", "r").ok());
  auto other = ClaimAndRemember(*conn_, kKey, "digest-b", "r2");
  EXPECT_TRUE(StatusIs(other, absl::StatusCode::kAlreadyExists, {"idempotency_key", "'notice-42'"}));
  EXPECT_EQ(Count("idempotency_keys"), 1);
}

TEST_F(IdempotencyTest, KeysAreScopedByPartyAndMethod) {
  ASSERT_TRUE(ClaimAndRemember(*conn_, kKey, "digest-a", "r").ok());
  IdempotencyKey other_party = kKey;
  other_party.party_id = "another-operator";
  auto p = ClaimAndRemember(*conn_, other_party, "digest-b", "r");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->has_value());
  IdempotencyKey other_method = kKey;
  other_method.method = "/tsodso.v1.OperatorService/Other";
  auto m = ClaimAndRemember(*conn_, other_method, "digest-b", "r");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->has_value());
}

TEST_F(IdempotencyTest, RolledBackClaimIsForgotten) {
  absl::Status st = InTransaction(*conn_, [&]() -> absl::Status {
    auto claimed = ClaimIdempotencyKey(*conn_, kKey, "digest-a");
    if (!claimed.ok()) return claimed.status();
    if (auto s = RememberResponse(*conn_, kKey, "digest-a", "r"); !s.ok()) return s;
    return absl::AbortedError("publishing failed");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted);
  auto retry = ClaimAndRemember(*conn_, kKey, "digest-b", "r2");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_FALSE(retry->has_value());
}

TEST_F(IdempotencyTest, ConcurrentDuplicateWaitsAndGetsTheFirstResponse) {
  // The first caller claims the key and holds its transaction open; a
  // duplicate arriving meanwhile must wait and then see the stored answer,
  // not claim the key a second time.
  auto second_conn = Connect();
  ASSERT_NE(second_conn, nullptr);
  absl::StatusOr<std::optional<std::string>> second = absl::UnknownError("not run");
  std::thread duplicate;
  absl::Status first = InTransaction(*conn_, [&]() -> absl::Status {
    auto claimed = ClaimIdempotencyKey(*conn_, kKey, "digest-a");
    if (!claimed.ok()) return claimed.status();
    EXPECT_FALSE(claimed->has_value());
    duplicate = std::thread([&] { second = ClaimAndRemember(*second_conn, kKey, "digest-a", "second response"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return RememberResponse(*conn_, kKey, "digest-a", "first response");
  });
  if (duplicate.joinable()) duplicate.join();
  ASSERT_TRUE(first.ok()) << first;
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(second->has_value()) << "the duplicate claimed the key while the first held it";
  EXPECT_EQ(**second, "first response");
}

}  // namespace
}  // namespace tsodso::store
