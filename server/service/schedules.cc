#include "service/schedules.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/pcc/grid_check.h"
#include "service/once.h"
#include "service/traffic_lights.h"
#include "service/wire.h"
#include "store/event_store.h"
#include "store/prequalification_store.h"

namespace tsodso::service {
namespace {

core::LightReason LightReasonOf(core::BidReason reason) {
  return reason == core::BidReason::kThermalLimit ? core::LightReason::kThermalLimit : core::LightReason::kVoltageLimit;
}

// The traffic light follows every portfolio's latest schedule: this revision
// replaces the portfolio's breaches from `received_at` on, over both the ISPs
// it covers and those the previous one had flagged.
absl::Status FollowLatestSchedule(store::PgConnection& db, const core::Schedule& schedule,
                                  const std::vector<core::ScheduleBreach>& breaches, absl::Time received_at,
                                  std::vector<core::EventDraft>& drafts) {
  const absl::Time since = core::AlignDown(received_at, core::kIsp);
  absl::Time from = core::AlignDown(schedule.intervals.front().start, core::kIsp);
  absl::Time to = core::AlignDown(schedule.end() - absl::Seconds(1), core::kIsp) + core::kIsp;
  TSODSO_ASSIGN_OR_RETURN(const auto old, store::ScheduleBreachSpan(db, schedule.pcc_id, schedule.portfolio_id, since));
  // A portfolio without breaches before or after adds nothing to any ISP's
  // light: nothing to lock, replace or announce.
  if (!old.has_value() && breaches.empty()) return absl::OkStatus();
  if (old.has_value()) {
    from = std::min(from, old->first);
    to = std::max(to, old->second);
  }
  std::map<absl::Time, core::LightReason> by_isp;
  for (const core::ScheduleBreach& b : breaches) {
    for (absl::Time isp : core::IspsOf(b.start, schedule.resolution)) {
      by_isp[isp] = std::max(by_isp[isp], LightReasonOf(b.reason));
    }
  }
  return UpdateLights(
             db, schedule.pcc_id, from, to,
             [&](std::vector<core::IspLight>& isps) -> absl::Status {
               TSODSO_ASSIGN_OR_RETURN(
                   auto lights,
                   store::ReplaceScheduleBreaches(db, schedule.pcc_id, schedule.portfolio_id, since, from, to, by_isp));
               for (core::IspLight& l : isps) l.schedules = lights[l.isp_start];
               return absl::OkStatus();
             },
             drafts)
      .status();
}

}  // namespace

absl::StatusOr<v1::ScheduleReceipt> SubmitSchedule(store::PgConnection& db, const Context& ctx, const Caller& caller,
                                                   const v1::SubmitScheduleRequest& request) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  // A retry gets its receipt, even once the horizon has moved on.
  return Once<v1::ScheduleReceipt>(
      db, caller, "idempotency_key", request.idempotency_key(), [&]() -> absl::StatusOr<v1::ScheduleReceipt> {
        std::vector<core::IntervalProblem> problems;
        auto schedule = core::CheckSchedule(FromProto(request), dir->portfolios, caller.party, caller.now,
                                            ctx.schedule_horizon, &problems);
        if (!schedule.ok()) {
          // Bad intervals come back as a rejected receipt too, every one
          // named, in the status details.
          absl::Status st = schedule.status();
          if (!problems.empty()) AttachRejectedReceipt(st, RejectedReceipt(request, problems));
          return st;
        }

        // Where the DSO has the network: would the schedule break a limit?
        // Placed at the aggregator's qualified assets below the PCC; worked
        // out before the portfolio is locked.
        std::vector<core::ScheduleBreach> breaches;
        const core::PccNetwork* net = ctx.grids->Find(schedule->pcc_id);
        const std::shared_ptr<const core::FlexCatalog> flex = ctx.flex->Get();
        const core::FlexScenario* scenario = flex->Find(schedule->pcc_id, core::kCurrentScenario);
        if (net != nullptr && scenario != nullptr) {
          TSODSO_ASSIGN_OR_RETURN(const auto qualified, store::QualifiedAssetsOf(db, caller.party.id, caller.now));
          breaches =
              core::ScheduleBreaches(*net, scenario->model, *schedule, core::BusesOf(*ctx.grids, *net, qualified),
                                     core::WithMargins(ctx.grids->margins));
        }

        TSODSO_ASSIGN_OR_RETURN(const store::ScheduleHead head, store::LockScheduleHead(db, schedule->portfolio_id));
        if (schedule->revision <= head.revision) {
          return absl::FailedPreconditionError(absl::StrCat("revision: ", schedule->revision,
                                                            " is not after the latest revision ", head.revision,
                                                            " of portfolio '", schedule->portfolio_id, "'"));
        }
        // Revisions are received in order, so that "as received at T" finds
        // the right one: never before the revision it follows, even when
        // this request arrived first and took the portfolio's lock second.
        const absl::Time received_at = std::max(caller.now, head.received_at + absl::Microseconds(1));
        v1::ScheduleReceipt receipt;
        receipt.set_portfolio_id(schedule->portfolio_id);
        receipt.set_pcc_id(schedule->pcc_id);
        receipt.set_revision(schedule->revision);
        receipt.set_status(breaches.empty() ? v1::RECEIPT_STATUS_ACCEPTED : v1::RECEIPT_STATUS_ACCEPTED_WITH_WARNINGS);
        for (const core::ScheduleBreach& b : breaches) ToProto(b, receipt.add_warnings());
        ToProto(received_at, receipt.mutable_received_at());
        ToProto(schedule->intervals.front().start, receipt.mutable_start());
        ToProto(schedule->end(), receipt.mutable_end());
        receipt.set_interval_count(static_cast<int32_t>(schedule->intervals.size()));
        TSODSO_RETURN_IF_ERROR(store::InsertSchedule(db, *schedule, received_at, DeterministicBytes(receipt)));
        // The receipt is the aggregator's own: addressed to it alone.
        std::vector<core::EventDraft> drafts = {
            {core::Envelope{core::Topic::kReceipt, schedule->pcc_id, caller.party.id, 0},
             EncodeReceiptPayload(receipt)}};
        if (net != nullptr) TSODSO_RETURN_IF_ERROR(FollowLatestSchedule(db, *schedule, breaches, received_at, drafts));
        TSODSO_RETURN_IF_ERROR(store::AppendEvents(db, drafts).status());
        return receipt;
      });
}

absl::StatusOr<store::StoredSchedule> ReadSchedule(store::PgConnection& db, const Context& ctx, const Caller& caller,
                                                   const std::string& portfolio_id, int64_t revision,
                                                   absl::Time as_of) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  const core::Portfolio* portfolio = core::FindPortfolio(dir->portfolios, portfolio_id);
  const bool allowed = portfolio != nullptr &&
                       (caller.party.role == core::Role::kDsoOperator || portfolio->aggregator == caller.party.id);
  if (!allowed) {
    return absl::PermissionDeniedError(
        absl::StrCat("portfolio_id: party '", caller.party.id, "' may not read portfolio '", portfolio_id, "'"));
  }
  if (revision < 0) return absl::InvalidArgumentError(absl::StrCat("revision: ", revision, " is negative"));
  return store::ReadSchedule(db, portfolio->id, revision, as_of);
}

}  // namespace tsodso::service
