#include "service/validation.h"

#include <map>

#include "core/common/status_macros.h"
#include "core/pcc/validation_inputs.h"
#include "core/validation/merit_order_list.h"
#include "runtime/metrics.h"
#include "service/once.h"
#include "service/traffic_lights.h"
#include "service/wire.h"
#include "store/event_store.h"
#include "store/prequalification_store.h"
#include "store/validation_store.h"

namespace tsodso::service {

absl::StatusOr<v1::MeritOrderValidation> ValidateMeritOrder(store::PgConnection& db, const Context& ctx,
                                                            const Caller& caller,
                                                            const v1::ValidateMeritOrderRequest& request) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  // The validation id is the idempotency key. A re-sent list gets the stored
  // answer, even once its ISP has ended.
  return Once<v1::MeritOrderValidation>(
      db, caller, "validation_id", request.validation_id(), [&]() -> absl::StatusOr<v1::MeritOrderValidation> {
        TSODSO_ASSIGN_OR_RETURN(
            const core::CheckedMol mol,
            core::CheckMeritOrderList(FromProto(request), *dir->registry, caller.party, caller.now));
        TSODSO_ASSIGN_OR_RETURN(const auto inputs, core::ValidationInputs(mol, *ctx.grids, *ctx.flex->Get()));
        // Who owns which resource, and until when, is what prequalification
        // decided; where it sits, the DSO's registry.
        std::vector<std::string> resource_ids;
        for (const core::Bid& b : mol.bids)
          resource_ids.insert(resource_ids.end(), b.resource_ids.begin(), b.resource_ids.end());
        TSODSO_ASSIGN_OR_RETURN(const auto qualifications, store::ReadQualifications(db, resource_ids));
        std::vector<core::MolLine> lines;
        {
          const runtime::ComputeTimer timer("validation");
          lines = core::ValidateList(mol, core::BookOf(*ctx.grids, qualifications), inputs,
                                     core::WithMargins<core::ValidationOptions>(ctx.grids->margins));
        }

        v1::MeritOrderValidation answer;
        answer.set_validation_id(mol.validation_id);
        answer.set_direction(request.direction());
        ToProto(mol.isp_start, answer.mutable_isp_start());
        ToProto(mol.isp_start + core::kIsp, answer.mutable_isp_end());
        ToProto(caller.now, answer.mutable_validated_at());
        for (const core::MolLine& l : lines) ToProto(l, answer.add_results());

        // Traffic lights first, so that every event carries the state after
        // this validation.
        std::vector<core::EventDraft> light_drafts;
        std::map<std::string, v1::TrafficLight> light_of;
        for (const auto& entry : inputs) {
          // A name the lambda below can capture (clang 14 cannot capture a
          // structured binding).
          const std::string& pcc = entry.first;
          TSODSO_ASSIGN_OR_RETURN(const std::vector<core::IspLight> after,
                                  UpdateLights(
                                      db, pcc, mol.isp_start, mol.isp_start + core::kIsp,
                                      [&](std::vector<core::IspLight>& isps) {
                                        isps[0].ForDirection(mol.direction) = core::LightFromLines(lines, pcc);
                                        return absl::OkStatus();
                                      },
                                      light_drafts));
          ToProto(core::MergePeriods(pcc, after).front(), &light_of[pcc]);
          *answer.add_traffic_lights() = light_of[pcc];
        }

        // BID_LIMITS: per PCC, every line for the TSO that asked; per PCC and
        // BSP, that BSP's lines for it alone.
        std::vector<core::EventDraft> drafts;
        for (const core::LineShare& share : core::ShareLines(lines, caller.party.id, *dir->registry)) {
          v1::MeritOrderValidation part = answer;
          part.clear_results();
          part.clear_traffic_lights();
          if (share.with_light) *part.add_traffic_lights() = light_of.at(share.pcc_id);
          for (size_t i : share.lines) *part.add_results() = answer.results(static_cast<int>(i));
          drafts.push_back({core::Envelope{core::Topic::kBidLimits, share.pcc_id, share.recipient, 0},
                            EncodeBidLimitsPayload(part)});
        }
        drafts.insert(drafts.end(), light_drafts.begin(), light_drafts.end());

        TSODSO_RETURN_IF_ERROR(
            store::InsertMolValidation(db, {mol.validation_id, caller.party.id, mol.isp_start, request.direction(),
                                            DeterministicBytes(request), DeterministicBytes(answer)}));
        TSODSO_RETURN_IF_ERROR(store::AppendEvents(db, drafts).status());
        return answer;
      });
}

}  // namespace tsodso::service
