#include "service/prequalification.h"

#include <optional>

#include "core/common/status_macros.h"
#include "service/once.h"
#include "service/wire.h"
#include "store/event_store.h"
#include "store/prequalification_store.h"

namespace tsodso::service {

absl::StatusOr<v1::PrequalificationResponse> RequestPrequalification(store::PgConnection& db, const Context& ctx,
                                                                     const Caller& caller,
                                                                     const std::string& idempotency_key,
                                                                     const std::vector<core::AssetClaim>& claims) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  return Once<v1::PrequalificationResponse>(
      db, caller, "idempotency_key", idempotency_key, [&]() -> absl::StatusOr<v1::PrequalificationResponse> {
        TSODSO_RETURN_IF_ERROR(core::CheckClaims(claims, caller.party, *dir->registry));
        std::vector<std::string> ids;
        for (const core::AssetClaim& c : claims) ids.push_back(c.id);
        // Claims on one asset are decided one after the other.
        TSODSO_RETURN_IF_ERROR(store::LockAssets(db, ids));
        TSODSO_ASSIGN_OR_RETURN(const auto standing, store::ReadQualifications(db, ids));
        v1::PrequalificationResponse answer;
        std::vector<core::EventDraft> drafts;
        const core::RoleMask tso_audience = core::RoleBit(core::Role::kTso) | core::RoleBit(core::Role::kDsoOperator);
        for (const core::AssetClaim& claim : claims) {
          auto reg = ctx.grids->assets.find(claim.id);
          auto st = standing.find(claim.id);
          const core::AssetDecision d = core::Decide(claim, reg == ctx.grids->assets.end() ? nullptr : &reg->second,
                                                     st == standing.end() ? std::nullopt : std::optional(st->second),
                                                     caller.party, caller.now, ctx.qualification_validity);
          TSODSO_RETURN_IF_ERROR(store::SaveDecision(db, caller.party.id, d, caller.now));
          v1::AssetQualification* out = answer.add_results();
          ToProto(d, claim.pcc_id, caller.party.id, out);
          drafts.push_back({core::Envelope{core::Topic::kPrequalification, claim.pcc_id, "", tso_audience},
                            EncodePrequalificationPayload(*out)});
        }
        ToProto(caller.now, answer.mutable_decided_at());
        TSODSO_RETURN_IF_ERROR(store::AppendEvents(db, drafts).status());
        return answer;
      });
}

}  // namespace tsodso::service
