// A PCC's latest forecast as a party may see it: the intervals asked for,
// with the exchange as measured where they have passed; an aggregator's
// view leaves out every portfolio's schedules and the metered exchange.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "service/context.h"
#include "store/db_pool.h"
#include "tsodso/v1/forecast.pb.h"

namespace tsodso::service {

struct ForecastQuery {
  std::string pcc_id;
  v1::ForecastKind kind = v1::FORECAST_KIND_UNSPECIFIED;
  std::optional<absl::Time> from;
  std::optional<absl::Time> to;
  std::optional<absl::Time> as_of;  // none: the caller's request time
};

// The forecast is read through `pool` and the measured load from its
// source (a file), so call it from a thread that may block.
absl::StatusOr<v1::Forecast> ForecastView(const Context& ctx, store::DbPool& pool, const Caller& caller,
                                          const ForecastQuery& query);

// An aggregator's view of a forecast: the aggregators' schedules taken out
// of the exchange (P and Q), no metered exchange, no input line about
// schedules.
void WithoutSchedules(v1::Forecast* forecast);

}  // namespace tsodso::service
