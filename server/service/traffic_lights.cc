#include "service/traffic_lights.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "service/once.h"
#include "store/event_store.h"
#include "store/validation_store.h"

namespace tsodso::service {

absl::StatusOr<std::vector<core::IspLight>> UpdateLights(
    store::PgConnection& db, const std::string& pcc_id, absl::Time from, absl::Time to,
    const std::function<absl::Status(std::vector<core::IspLight>&)>& change, std::vector<core::EventDraft>& drafts) {
  TSODSO_ASSIGN_OR_RETURN(const std::vector<core::IspLight> before, store::LockLights(db, pcc_id, from, to));
  std::vector<core::IspLight> after = before;
  TSODSO_RETURN_IF_ERROR(change(after));
  // Only the lights that changed are written.
  std::vector<core::IspLight> changed;
  for (size_t i = 0; i < after.size(); ++i) {
    if (i >= before.size() || !(after[i] == before[i])) changed.push_back(after[i]);
  }
  TSODSO_RETURN_IF_ERROR(store::SaveLights(db, pcc_id, changed));
  for (const core::LightPeriod& period : core::Changes(pcc_id, before, after)) {
    drafts.push_back(
        {core::Envelope{core::Topic::kTrafficLight, pcc_id, "", core::kAllRoles}, EncodeTrafficLightPayload(period)});
  }
  return after;
}

absl::StatusOr<v1::DeclareInterventionResponse> DeclareIntervention(store::PgConnection& db, const Context& ctx,
                                                                    const Caller& caller,
                                                                    const InterventionRequest& request) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  // A retry gets the first answer, even once the period has passed.
  return Once<v1::DeclareInterventionResponse>(
      db, caller, "idempotency_key", request.idempotency_key, [&]() -> absl::StatusOr<v1::DeclareInterventionResponse> {
        if (dir->registry->FindPcc(request.pcc_id) == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat("pcc_id: unknown PCC '", request.pcc_id, "'"));
        }
        TSODSO_RETURN_IF_ERROR(core::CheckUpcomingIspWindow(request.from, request.to, caller.now));
        TSODSO_RETURN_IF_ERROR(store::InsertIntervention(db, caller.party.id, request.idempotency_key, request.pcc_id,
                                                         request.from, request.to, request.lift));
        std::vector<core::EventDraft> drafts;
        auto lights = UpdateLights(
            db, request.pcc_id, request.from, request.to,
            [&](std::vector<core::IspLight>& isps) {
              for (core::IspLight& l : isps) l.intervention = !request.lift;
              return absl::OkStatus();
            },
            drafts);
        if (!lights.ok()) return lights.status();
        TSODSO_ASSIGN_OR_RETURN(const std::vector<core::StoredEvent> events, store::AppendEvents(db, drafts));
        v1::DeclareInterventionResponse answer;
        for (const core::StoredEvent& e : events) answer.add_event_seqs(e.seq);
        return answer;
      });
}

absl::StatusOr<std::vector<core::LightPeriod>> TrafficLights(store::PgConnection& db, const Context& ctx,
                                                             const Caller& caller, const std::string& pcc_id,
                                                             absl::Time from, absl::Time to) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  TSODSO_RETURN_IF_ERROR(dir->registry->CheckVisiblePcc(caller.party, pcc_id, "pcc_id"));
  TSODSO_RETURN_IF_ERROR(core::CheckIspWindow(from, to));
  TSODSO_ASSIGN_OR_RETURN(const std::vector<core::IspLight> lights, store::ReadLights(db, pcc_id, from, to));
  return core::MergePeriods(pcc_id, lights);
}

}  // namespace tsodso::service
