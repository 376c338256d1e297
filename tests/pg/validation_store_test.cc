// MOL validations and traffic lights in a real PostgreSQL: what is stored,
// the green default, and that concurrent deciders of one ISP take turns.
#include "store/validation_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pg_fixture.h"
#include "support/status_testing.h"

namespace tsodso::store {
namespace {

using core::LightReason;
using core::LightState;

const absl::Time kFrom = absl::FromUnixSeconds(1795000500);  // an ISP start (multiple of 900)

class ValidationStoreTest : public ::tsodso::testing::PgTest {};

TEST_F(ValidationStoreTest, ValidationIsStoredWithItsInputAndAnswer) {
  const std::string request("req\0uest", 8), response("ans\xffwer", 7);
  ASSERT_TRUE(InTransaction(*conn_, [&] {
                return InsertMolValidation(*conn_, {"v-1", "tso-terna", kFrom, 2, request, response});
              }).ok());
  auto r =
      Sql("SELECT party_id, extract(epoch FROM isp_start)::bigint, direction, request, response "
          "FROM mol_validations WHERE validation_id = 'v-1'");
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.Text(0, 0), "tso-terna");
  EXPECT_EQ(r.Int64(0, 1), absl::ToUnixSeconds(kFrom));
  EXPECT_EQ(r.Int64(0, 2), 2);
  EXPECT_EQ(r.Bytes(0, 3), request);
  EXPECT_EQ(r.Bytes(0, 4), response);
  // One answer per validation id of a party; another party's ids are its own.
  auto dup = InTransaction(*conn_, [&] {
    return InsertMolValidation(*conn_, {"v-1", "tso-terna", kFrom, 2, request, response});
  });
  EXPECT_TRUE(::tsodso::testing::StatusIs(dup, absl::StatusCode::kAlreadyExists));
  EXPECT_TRUE(InTransaction(*conn_, [&] {
                return InsertMolValidation(*conn_, {"v-1", "tso-other", kFrom, 1, request, response});
              }).ok());
}

TEST_F(ValidationStoreTest, LightsAreGreenUntilDecidedAndKeepBothCauses) {
  const absl::Time to = kFrom + 4 * core::kIsp;
  auto read = ReadLights(*conn_, "PS_SUD", kFrom, to);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 4u);
  for (const auto& l : *read) EXPECT_EQ(l.Effective().state, LightState::kGreen);
  EXPECT_EQ(Count("traffic_lights"), 0);  // reading creates nothing

  ASSERT_TRUE(InTransaction(*conn_, [&]() -> absl::Status {
                auto locked = LockLights(*conn_, "PS_SUD", kFrom + core::kIsp, kFrom + 3 * core::kIsp);
                if (!locked.ok()) return locked.status();
                (*locked)[0].down = {LightState::kYellow, LightReason::kThermalLimit};
                (*locked)[1].intervention = true;
                return SaveLights(*conn_, "PS_SUD", *locked);
              }).ok());
  read = ReadLights(*conn_, "PS_SUD", kFrom, to);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ((*read)[0].Effective().state, LightState::kGreen);
  EXPECT_EQ((*read)[1].Effective().state, LightState::kYellow);
  EXPECT_EQ((*read)[1].Effective().reason, LightReason::kThermalLimit);
  EXPECT_EQ((*read)[2].Effective().state, LightState::kRed);
  EXPECT_EQ((*read)[3].Effective().state, LightState::kGreen);
  // Another PCC is untouched.
  auto other = ReadLights(*conn_, "PS_EST", kFrom, to);
  ASSERT_TRUE(other.ok());
  for (const auto& l : *other) EXPECT_EQ(l.Effective().state, LightState::kGreen);
}

TEST_F(ValidationStoreTest, ConcurrentDecidersOfOneIspTakeTurns) {
  // Each worker flips the ISP's intervention flag in its own transaction;
  // with the row lock, every flip sees the one before and none is lost.
  constexpr int kWorkers = 6, kFlips = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      auto conn = Connect();
      for (int i = 0; i < kFlips; ++i) {
        auto st = InTransaction(*conn, [&]() -> absl::Status {
          auto locked = LockLights(*conn, "PS_SUD", kFrom, kFrom + core::kIsp);
          if (!locked.ok()) return locked.status();
          (*locked)[0].intervention = !(*locked)[0].intervention;
          const int n = static_cast<int>((*locked)[0].up.reason) + 1;
          (*locked)[0].up.reason = static_cast<LightReason>(n);
          return SaveLights(*conn, "PS_SUD", *locked);
        });
        if (!st.ok()) ++failures;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(failures, 0);
  auto r = Sql("SELECT up_reason, intervention FROM traffic_lights");
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.Int64(0, 0), kWorkers * kFlips);  // a counter: no lost update
  EXPECT_EQ(r.Text(0, 1), "f");                 // an even number of flips
}

}  // namespace
}  // namespace tsodso::store
