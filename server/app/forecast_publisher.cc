#include "app/forecast_publisher.h"

#include "core/common/status_macros.h"
#include "core/common/time.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "service/wire.h"
#include "spdlog/spdlog.h"
#include "store/event_store.h"
#include "store/forecast_store.h"
#include "store/schedule_store.h"

namespace tsodso::app {
namespace {

v1::ForecastKind ToProto(core::ForecastKind kind) {
  return kind == core::ForecastKind::kDayAhead ? v1::FORECAST_KIND_DAY_AHEAD : v1::FORECAST_KIND_INTRADAY;
}

}  // namespace

ForecastPublisher::ForecastPublisher(const ForecastConfig& config, core::FlexCatalogHolder& holder, store::DbPool& pool,
                                     std::shared_ptr<const core::GridCatalog> grids, core::LoadHistorySource history,
                                     store::LeaderLock* leader)
    : config_(config),
      holder_(holder),
      pool_(pool),
      grids_(std::move(grids)),
      history_(std::move(history)),
      leader_(leader) {
  absl::LoadTimeZone(config_.time_zone, &zone_);  // checked with the configuration
}

ForecastPublisher::~ForecastPublisher() { Stop(); }

void ForecastPublisher::Start() {
  if (!config_.enabled || holder_.Get()->by_pcc.empty()) return;
  task_.Start({.name = "forecast publisher", .period = absl::Seconds(2), .run_first_immediately = true},
              [this](std::stop_token) { Tick(); });
}

void ForecastPublisher::Stop() { task_.Stop(); }

absl::Status ForecastPublisher::Issue(const core::FlexScenario& scenario, core::ForecastKind kind, absl::Time now,
                                      absl::Time from, absl::Time to) {
  const std::string& pcc = scenario.model.pcc_id;
  core::PccForecastOptions options;
  if (grids_) options.limits = core::WithMargins(grids_->margins);
  auto history = history_(scenario, now - core::HistoryRead(options.method), now);
  if (!history.ok()) return history.status();
  // The portfolios' schedules as known now, read once: their sum moves the
  // exchange, each placed at its assets for the outlook.
  const core::PccNetwork* net = grids_ ? grids_->Find(pcc) : nullptr;
  auto placed = pool_.Run<std::vector<core::PlacedBaseline>>([&](store::PgConnection& db) {
    return store::ReadPlacedSchedules(db, pcc, from, to, now, net != nullptr ? *grids_ : core::GridCatalog{}, net);
  });
  if (!placed.ok()) return placed.status();
  const core::PccBaseline baseline = core::SumBaselines(*placed);
  absl::StatusOr<std::vector<core::PccForecastInterval>> intervals;
  {
    const runtime::ComputeTimer timer("forecast");
    intervals =
        core::ForecastPcc(scenario.model, history->series, baseline, net, now, from, to, kind, zone_, options, *placed);
  }
  if (!intervals.ok()) return intervals.status();

  v1::Forecast f;
  f.set_forecast_id(service::NewUuid());
  f.set_pcc_id(pcc);
  f.set_kind(ToProto(kind));
  service::ToProto(now, f.mutable_issued_at());
  f.set_interval_minutes(15);
  f.add_inputs(history->description);
  f.add_inputs("DER production: per-unit profiles of scenario '" + scenario.name +
               "'; weather: the typical meteorological year (stand-in for a weather forecast)");
  f.add_inputs(service::kSchedulesInput + std::to_string(baseline.size()) +
               " ISP(s) with a baseline, as known at issue");
  if (net != nullptr) f.add_inputs("outlook: the DSO's network model");
  for (const core::PccForecastInterval& i : *intervals) service::ToProto(i, f.add_intervals());

  store::StoredForecast row{
      f.forecast_id(), pcc, static_cast<int>(f.kind()), now, from, to, service::DeterministicBytes(f)};
  const core::Envelope env{core::Topic::kForecast, pcc, "",
                           core::RoleBit(core::Role::kTso) | core::RoleBit(core::Role::kDsoOperator)};
  auto stored = pool_.Run<std::vector<core::StoredEvent>>(
      [&](store::PgConnection& db) -> absl::StatusOr<std::vector<core::StoredEvent>> {
        TSODSO_RETURN_IF_ERROR(store::InsertForecast(db, row));
        return store::AppendEvents(db, {{env, service::EncodeForecastPayload(f)}});
      });
  if (!stored.ok()) return stored.status();
  runtime::log::Log(spdlog::level::info, {{"pcc", pcc}, {"seq", stored->front().seq}},
                    "{} forecast of {} issued for {} .. {} (event #{})", core::ForecastKindName(kind), pcc,
                    core::Rfc3339(from), core::Rfc3339(to), stored->front().seq);
  const bool day_ahead = kind == core::ForecastKind::kDayAhead;
  runtime::Metrics::Get().Published(day_ahead ? "forecast_day_ahead" : "forecast_intraday", pcc,
                                    day_ahead ? 86400 : 900);
  return absl::OkStatus();
}

absl::StatusOr<int> ForecastPublisher::IssueDue(absl::Time now) {
  auto catalog = holder_.Get();
  int issued = 0;
  // Day-ahead: after today's gate, for tomorrow; before it, a late issue
  // for the rest of today when there is none (a gateway started mid-day).
  const absl::CivilDay today = absl::ToCivilDay(now, zone_);
  const absl::Time gate = core::DayAheadGate(today + 1, absl::Minutes(config_.gate_minutes), zone_);
  const absl::CivilDay delivery = now >= gate ? today + 1 : today;
  const absl::Time day_start = core::LocalDayStart(delivery, zone_);
  const absl::Time day_end = core::LocalDayStart(delivery + 1, zone_);
  const absl::Time isp = core::AlignDown(now, core::kIsp);
  for (const auto& entry : catalog->by_pcc) {
    // A name the lambdas below can capture (clang 14 cannot capture a
    // structured binding).
    const std::string& pcc = entry.first;
    const core::FlexScenario* sc = catalog->Find(pcc, core::kCurrentScenario);
    if (sc == nullptr) continue;
    struct Due {
      core::ForecastKind kind;
      absl::Time from, to;
    };
    for (const Due& due : {Due{core::ForecastKind::kDayAhead, std::max(day_start, isp), day_end},
                           Due{core::ForecastKind::kIntraday, isp, isp + absl::Hours(config_.intraday_hours)}}) {
      const auto key = std::make_pair(pcc, due.kind);
      if (!issued_for_.contains(key)) {
        // After a restart: what the database already has.
        auto latest = pool_.Run<std::optional<store::StoredForecast>>([&](store::PgConnection& db) {
          return store::LatestForecast(db, pcc, static_cast<int>(ToProto(due.kind)), now);
        });
        if (!latest.ok()) return latest.status();
        issued_for_[key] = latest->has_value() ? (*latest)->end - absl::Seconds(1) : absl::InfinitePast();
      }
      // Due when the latest issue does not reach into this period (day
      // ahead) or was not made in this ISP (intraday).
      const absl::Time covered = issued_for_[key];
      const bool due_now =
          due.kind == core::ForecastKind::kDayAhead ? covered < due.from : covered < due.to - absl::Seconds(1);
      if (!due_now) continue;
      if (task_.stop_requested()) return issued;
      const absl::Status st = Issue(*sc, due.kind, now, due.from, due.to);
      // A forecast that cannot be made (too little history, a bad window)
      // is logged once per period; anything else (the database away, a
      // transaction rolled back) is tried again.
      const bool refused =
          st.code() == absl::StatusCode::kFailedPrecondition || st.code() == absl::StatusCode::kInvalidArgument;
      if (!st.ok() && !refused) return st;
      if (!st.ok()) {
        runtime::log::Log(spdlog::level::err, {{"pcc", pcc}}, "{} forecast of {} for {} .. {}: {}",
                          core::ForecastKindName(due.kind), pcc, core::Rfc3339(due.from), core::Rfc3339(due.to),
                          std::string(st.message()));
      }
      issued_for_[key] = due.to - absl::Seconds(1);
      if (st.ok()) ++issued;
    }
  }
  return issued;
}

void ForecastPublisher::Tick() {
  if (leader_ != nullptr && !leader_->Hold()) {
    // What the leader issued meanwhile is read again on taking over.
    issued_for_.clear();
    return;
  }
  if (absl::Now() < next_try_) return;
  auto issued = IssueDue(absl::Now());
  // After a failure, wait a little longer before the next try.
  if (!issued.ok()) {
    spdlog::error("forecasts: {}; trying again in 30 s", std::string(issued.status().message()));
    next_try_ = absl::Now() + absl::Seconds(30);
  }
}

}  // namespace tsodso::app
