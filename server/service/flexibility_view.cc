#include "service/flexibility_view.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/common/time.h"
#include "store/schedule_store.h"

namespace tsodso::service {
namespace {

// What the caller may ask for: vertices and the grid-limited area are for
// the TSO and the DSO (DESIGN: parties); the grid-limited area needs the
// DSO's network and is given for at most 48 hours.
absl::Status CheckGridLimitedQuery(const FlexQuery& query, bool aggregator, const core::PccNetwork* net) {
  if (aggregator && query.include_vertices) {
    return absl::PermissionDeniedError("include_vertices: the area's vertices are for the TSO and the DSO");
  }
  if (!query.include_grid_limited) return absl::OkStatus();
  if (aggregator) {
    return absl::PermissionDeniedError("include_grid_limited: the grid-limited figures are for the TSO and the DSO");
  }
  if (query.to - query.from > core::kMaxGridLimitedWindow) {
    return absl::InvalidArgumentError(absl::StrCat("include_grid_limited: given for at most 48 hours; the window is ",
                                                   absl::FormatDuration(query.to - query.from)));
  }
  if (net == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("include_grid_limited: the DSO has no network model for PCC '", query.pcc_id, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FlexView> FlexibilityView(const Context& ctx, store::DbPool& pool, const Caller& caller,
                                         const FlexQuery& query) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  TSODSO_RETURN_IF_ERROR(dir->registry->CheckVisiblePcc(caller.party, query.pcc_id, "pcc_id"));
  TSODSO_RETURN_IF_ERROR(core::ValidateFlexWindow(query.from, query.to, query.include_vertices));
  const std::shared_ptr<const core::FlexCatalog> catalog = ctx.flex->Get();
  const core::FlexScenario* scenario = catalog->Find(query.pcc_id, query.scenario);
  if (scenario == nullptr) {
    return query.scenario.empty()
               ? absl::FailedPreconditionError(
                     absl::StrCat("pcc_id: no flexibility model is configured for PCC '", query.pcc_id, "'"))
               : absl::InvalidArgumentError(
                     absl::StrCat("scenario: '", query.scenario, "' is not a scenario of PCC '", query.pcc_id, "'"));
  }
  const bool aggregator = caller.party.role == core::Role::kAggregator;
  const core::PccNetwork* net = ctx.grids->Find(query.pcc_id);
  TSODSO_RETURN_IF_ERROR(CheckGridLimitedQuery(query, aggregator, net));

  // The schedules shift the operating point; an aggregator's view leaves
  // them out, since they are other parties' portfolios.
  const absl::Time first = core::AlignDown(query.from, scenario->interval);
  std::vector<core::PlacedBaseline> placed;
  if (!aggregator) {
    // Placed on the network only when the grid-limited figures need it.
    const core::PccNetwork* place_on = query.include_grid_limited ? net : nullptr;
    TSODSO_ASSIGN_OR_RETURN(placed, pool.Run<std::vector<core::PlacedBaseline>>([&](store::PgConnection& db) {
      return store::ReadPlacedSchedules(db, query.pcc_id, first, query.to, caller.now, *ctx.grids, place_on);
    }));
  }
  const core::PccBaseline baseline = core::SumBaselines(placed);
  FlexView view;
  view.scenario = scenario->name;
  view.interval = scenario->interval;
  view.breakdown = !aggregator && core::BreakdownAllowed(scenario->model, &view.breakdown_note);
  // Interval after interval, each area's linear program starts from the
  // one before.
  std::optional<core::GridLimitedSeries> series;
  if (query.include_grid_limited)
    series.emplace(*net, scenario->model, scenario->interval,
                   core::WithMargins<core::GridAreaOptions>(ctx.grids->margins), placed);
  for (core::FlexInterval& f :
       core::ComputeRange(scenario->model, first, query.to, scenario->interval, query.include_vertices, &baseline)) {
    FlexViewInterval& out = view.intervals.emplace_back();
    if (view.breakdown) out.by_class = core::ByClass(scenario->model, f);
    if (query.include_grid_limited) {
      if (ctx.stopping.stop_requested()) return absl::UnavailableError(kStoppingMessage);
      auto grid = series->At(f.start);
      // A failure here is the DSO's own model, never the caller's request.
      if (!grid.ok()) return absl::InternalError(absl::StrCat("grid-limited area: ", grid.status().ToString()));
      out.grid_limited = std::move(*grid);
    }
    out.flex = std::move(f);
  }
  return view;
}

}  // namespace tsodso::service
