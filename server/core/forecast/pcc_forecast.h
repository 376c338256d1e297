// The forecast of a PCC's exchange and flexibility: the demand forecast of
// the PCC's load, the DERs' production from their per-unit profiles (with a
// climatological band), and the aggregators' scheduled baseline, put
// together by the flexibility engine; with a network, an outlook of the
// intervals where the forecast brings the DSO's limits near.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/flexibility/engine.h"
#include "core/forecast/load_forecast.h"
#include "core/forecast/series.h"
#include "core/grid/limits.h"
#include "core/pcc/pcc_network.h"
#include "core/schedules/baseline.h"
#include "core/validation/traffic_light.h"

namespace tsodso::core {

struct Band {
  double p10 = 0, p50 = 0, p90 = 0;
};

struct PccForecastInterval {
  absl::Time start;
  absl::Time end;
  Band p_mw;    // PCC exchange, load convention
  Band q_mvar;  // reactive exchange, load convention
  // The aggregators' schedules included in the exchange (load convention).
  PqPoint scheduled;
  // Flexibility at the PCC (>= 0), at the DERs' low, median and high
  // state of the climatological band (lowest figure as p10).
  Band p_up_mw, p_down_mw, q_up_mvar, q_down_mvar;
  // With a network: yellow where the stressed forecast (high load and low
  // production, or low load and high production) brings a line to 90 % of
  // what its rating less the security margin allows, or a voltage to within
  // 0.01 pu of its band less the margin.
  Light outlook;
};

struct PccForecastOptions {
  ForecastMethod method;
  // Days either side of the target date whose same time of day forms the
  // DERs' climatological band.
  int climate_days = 15;
  // The outlook warns at this share of the loading `limits` allows, and at
  // this distance (pu) from the band `limits` allows.
  double outlook_loading = 0.9;
  double outlook_voltage_margin_pu = 0.01;
  LimitOptions limits;
};

// Forecast [from, to) of the PCC as issued at `issued_at`. `load_history`
// is the PCC's measured load (MW, before DER injections) on a 15-minute
// grid; only what ended by `issued_at` is read. The exchange band combines
// the load's and the DERs' bands as independent: each side's half-width
// is the root of the sum of squares. With a network, `placed` puts the
// portfolios' schedules on it for the outlook.
absl::StatusOr<std::vector<PccForecastInterval>> ForecastPcc(const PccModel& model, const Series& load_history,
                                                             const PccBaseline& baseline, const PccNetwork* network,
                                                             absl::Time issued_at, absl::Time from, absl::Time to,
                                                             ForecastKind kind, const absl::TimeZone& zone,
                                                             const PccForecastOptions& options = {},
                                                             const std::vector<PlacedBaseline>& placed = {});

// Return the PCC's load (MW) per 15-minute interval of [from, to) from the
// model's load profile: the demo's stand-in for metered history.
Series LoadHistoryFromModel(const PccModel& model, absl::Time from, absl::Time to);

}  // namespace tsodso::core
