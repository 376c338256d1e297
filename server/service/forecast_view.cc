#include "service/forecast_view.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/common/time.h"
#include "core/flexibility/engine.h"
#include "service/wire.h"
#include "store/forecast_store.h"

namespace tsodso::service {
namespace {

constexpr absl::Duration kMaxForecastWindow = absl::Hours(48);

absl::Status CheckQuery(const Context& ctx, const Caller& caller, const ForecastQuery& query) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  if (query.kind != v1::FORECAST_KIND_DAY_AHEAD && query.kind != v1::FORECAST_KIND_INTRADAY) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: ", query.kind, " is not FORECAST_KIND_DAY_AHEAD or FORECAST_KIND_INTRADAY"));
  }
  TSODSO_RETURN_IF_ERROR(dir->registry->CheckVisiblePcc(caller.party, query.pcc_id, "pcc_id"));
  if (!query.from || !query.to) return absl::InvalidArgumentError(query.from ? "to: required" : "from: required");
  if (*query.from >= *query.to) {
    return absl::InvalidArgumentError(
        absl::StrCat("from: ", core::Rfc3339(*query.from), " is not before to ", core::Rfc3339(*query.to)));
  }
  if (*query.to - *query.from > kMaxForecastWindow) {
    return absl::InvalidArgumentError(absl::StrCat("to: the window ", absl::FormatDuration(*query.to - *query.from),
                                                   " is longer than the limit of 48 hours"));
  }
  return absl::OkStatus();
}

// The exchange at the PCC as measured over an interval that has passed: the
// measured load with the DERs' production and the schedules.
double MeasuredExchange(const core::FlexScenario& scenario, double load_mw, absl::Time start, absl::Time end,
                        double scheduled_p_mw) {
  const core::FlexInterval f = core::ComputeInterval(scenario.model, start, end - start, false);
  const double injection = core::PccLoadAt(scenario.model, start, end - start).p - f.operating.p;
  return load_mw - injection + scheduled_p_mw;
}

}  // namespace

void WithoutSchedules(v1::Forecast* forecast) {
  const auto shift = [](v1::Quantiles* q, double by) {
    q->set_p10(q->p10() - by);
    q->set_p50(q->p50() - by);
    q->set_p90(q->p90() - by);
  };
  for (v1::ForecastInterval& i : *forecast->mutable_intervals()) {
    shift(i.mutable_p_mw(), i.scheduled_p_mw());
    shift(i.mutable_q_mvar(), i.scheduled_q_mvar());
    // The metered exchange contains every portfolio's real behaviour.
    i.clear_measured_p_mw();
    i.set_scheduled_p_mw(0);
    i.set_scheduled_q_mvar(0);
  }
  // Whether and how far ahead anyone scheduled is another's business too.
  auto* inputs = forecast->mutable_inputs();
  inputs->erase(std::remove_if(inputs->begin(), inputs->end(),
                               [](const std::string& in) { return in.rfind(kSchedulesInput, 0) == 0; }),
                inputs->end());
}

absl::StatusOr<v1::Forecast> ForecastView(const Context& ctx, store::DbPool& pool, const Caller& caller,
                                          const ForecastQuery& query) {
  TSODSO_RETURN_IF_ERROR(CheckQuery(ctx, caller, query));
  const absl::Time from = *query.from;
  const absl::Time to = *query.to;
  const absl::Time now = caller.now;
  const absl::Time as_of = query.as_of.value_or(now);
  TSODSO_ASSIGN_OR_RETURN(const std::optional<store::StoredForecast> stored,
                          pool.Run<std::optional<store::StoredForecast>>([&](store::PgConnection& db) {
                            return store::LatestForecast(db, query.pcc_id, query.kind, as_of);
                          }));
  if (!stored.has_value()) {
    return absl::NotFoundError(absl::StrCat("no ", v1::ForecastKind_Name(query.kind), " forecast of PCC '",
                                            query.pcc_id, "' was issued by ", core::Rfc3339(as_of)));
  }
  v1::Forecast all;
  if (!all.ParseFromString(stored->body)) return absl::DataLossError("stored forecast does not parse");
  v1::Forecast view = all;
  view.clear_intervals();
  // Where the load is missing, nothing is measured.
  const std::shared_ptr<const core::FlexCatalog> flex = ctx.flex->Get();
  const core::FlexScenario* scenario = flex->Find(query.pcc_id, core::kCurrentScenario);
  std::optional<core::Series> measured;
  if (scenario != nullptr && ctx.load_history && from < now) {
    auto read = ctx.load_history(*scenario, core::AlignDown(from, core::kIsp), std::min(to, now));
    if (read.ok()) measured = std::move(read->series);
  }
  for (const v1::ForecastInterval& i : all.intervals()) {
    const absl::Time start = FromProto(i.start());
    const absl::Time end = FromProto(i.end());
    if (end <= from || start >= to) continue;
    v1::ForecastInterval* out = view.add_intervals();
    *out = i;
    const double load = measured && end <= now ? measured->At(start) : std::nan("");
    if (std::isfinite(load)) out->set_measured_p_mw(MeasuredExchange(*scenario, load, start, end, i.scheduled_p_mw()));
  }
  if (caller.party.role == core::Role::kAggregator) WithoutSchedules(&view);
  return view;
}

}  // namespace tsodso::service
