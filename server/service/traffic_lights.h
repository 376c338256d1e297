// The traffic light of every PCC and ISP: what validations, schedules and
// the operator's interventions make of it, and who hears of a change.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/events/event.h"
#include "core/validation/traffic_light.h"
#include "service/context.h"
#include "store/pg.h"
#include "tsodso/v1/operator.pb.h"

namespace tsodso::service {

// Inside an open transaction: lock the lights of the PCC's ISPs in
// [from, to), let `change` set them, save them, and add a public
// TRAFFIC_LIGHT event to `drafts` for every period whose light changed.
// Return the lights as saved.
absl::StatusOr<std::vector<core::IspLight>> UpdateLights(
    store::PgConnection& db, const std::string& pcc_id, absl::Time from, absl::Time to,
    const std::function<absl::Status(std::vector<core::IspLight>&)>& change, std::vector<core::EventDraft>& drafts);

// An operator's declaration of direct intervention (red) at a PCC over
// coming ISPs, or its lifting.
struct InterventionRequest {
  std::string idempotency_key;
  std::string pcc_id;
  absl::Time from;
  absl::Time to;
  bool lift = false;
};
absl::StatusOr<v1::DeclareInterventionResponse> DeclareIntervention(store::PgConnection& db, const Context& ctx,
                                                                    const Caller& caller,
                                                                    const InterventionRequest& request);

// The lights of a PCC the caller may see over [from, to), merged into
// periods of one light.
absl::StatusOr<std::vector<core::LightPeriod>> TrafficLights(store::PgConnection& db, const Context& ctx,
                                                             const Caller& caller, const std::string& pcc_id,
                                                             absl::Time from, absl::Time to);

}  // namespace tsodso::service
