// Aggregators' schedules: received once per key in revision order, checked
// against the DSO's network, and read back by their owner or the DSO.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "service/context.h"
#include "store/pg.h"
#include "store/schedule_store.h"
#include "tsodso/v1/schedule.pb.h"

namespace tsodso::service {

// Receive a schedule revision once per key. Bad intervals are refused with
// a REJECTED receipt naming each of them in the status details; where the
// DSO has the network, a schedule that would break a limit is accepted with
// warnings and turns the traffic light of those ISPs yellow.
absl::StatusOr<v1::ScheduleReceipt> SubmitSchedule(store::PgConnection& db, const Context& ctx, const Caller& caller,
                                                   const v1::SubmitScheduleRequest& request);

// A revision of a portfolio (0: the latest) as received by `as_of`; only its
// aggregator and the DSO may read it, and nobody learns whether others'
// portfolios exist.
absl::StatusOr<store::StoredSchedule> ReadSchedule(store::PgConnection& db, const Context& ctx, const Caller& caller,
                                                   const std::string& portfolio_id, int64_t revision, absl::Time as_of);

}  // namespace tsodso::service
