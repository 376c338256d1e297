// Schedules in PostgreSQL: every revision kept, read back by revision or
// as known at a time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/pcc/pcc_network.h"
#include "core/schedules/baseline.h"
#include "core/schedules/schedule.h"
#include "core/validation/traffic_light.h"
#include "store/pg.h"

namespace tsodso::store {

struct ScheduleHead {
  int64_t revision = 0;  // 0: none yet
  // When the latest revision was received (InfinitePast when none).
  absl::Time received_at = absl::InfinitePast();
};
// Inside an open transaction: lock the portfolio's head row (created when
// new) and return its latest revision, so that concurrent submissions of
// one portfolio take turns.
absl::StatusOr<ScheduleHead> LockScheduleHead(PgConnection& conn, const std::string& portfolio_id);

// Inside the same transaction: store the schedule, its intervals and the
// encoded receipt, and move the head to its revision.
absl::Status InsertSchedule(PgConnection& conn, const core::Schedule& schedule, absl::Time received_at,
                            const std::string& receipt);

struct StoredSchedule {
  core::Schedule schedule;
  absl::Time received_at;
  int64_t latest_revision = 0;
};

// Return the revision asked for, or with revision 0 the latest one received
// at or before `as_of`; NOT_FOUND naming the portfolio and revision when
// there is none.
absl::StatusOr<StoredSchedule> ReadSchedule(PgConnection& conn, const std::string& portfolio_id, int64_t revision,
                                            absl::Time as_of);

// Return each portfolio's baseline of its schedules at the PCC over
// [from, to) as known at `as_of` (core::AggregateBaseline of the revisions
// received by then), placed at its aggregator's assets qualified at `as_of`
// below the PCC when `network` is given (else with no buses).
absl::StatusOr<std::vector<core::PlacedBaseline>> ReadPlacedSchedules(PgConnection& conn, const std::string& pcc_id,
                                                                      absl::Time from, absl::Time to, absl::Time as_of,
                                                                      const core::GridCatalog& grids,
                                                                      const core::PccNetwork* network);

// Return the ISPs [first, last + 15 min) where the portfolio's schedules
// breach a limit from `since` on; nullopt when nowhere.
absl::StatusOr<std::optional<std::pair<absl::Time, absl::Time>>> ScheduleBreachSpan(PgConnection& conn,
                                                                                    const std::string& pcc_id,
                                                                                    const std::string& portfolio_id,
                                                                                    absl::Time since);

// Inside an open transaction (after locking the lights of [from, to)):
// replace the portfolio's breach rows from `since` on with `breaches` (ISP
// start -> reason class) and return the light schedules call for at each
// ISP of [from, to): yellow while any portfolio's schedule breaches there
// (voltage before thermal), else green.
absl::StatusOr<std::map<absl::Time, core::Light>> ReplaceScheduleBreaches(
    PgConnection& conn, const std::string& pcc_id, const std::string& portfolio_id, absl::Time since, absl::Time from,
    absl::Time to, const std::map<absl::Time, core::LightReason>& breaches);

}  // namespace tsodso::store
