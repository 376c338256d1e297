// BidValidationService: the TSO's merit-order lists and the traffic lights.
#include "api/dispatch.h"
#include "api/services.h"
#include "core/common/status_macros.h"
#include "service/traffic_lights.h"
#include "service/validation.h"
#include "service/wire.h"

namespace tsodso::api {

using service::FromProto;
using service::ToProto;

grpc::ServerUnaryReactor* BidValidationServiceImpl::ValidateMeritOrder(grpc::CallbackServerContext* call,
                                                                       const v1::ValidateMeritOrderRequest* request,
                                                                       v1::MeritOrderValidation* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::BidValidationService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kAtCommit,
                  [this, request, response](const service::Caller& c, store::PgConnection& db) -> absl::Status {
                    TSODSO_ASSIGN_OR_RETURN(*response, service::ValidateMeritOrder(db, ctx_, c, *request));
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* BidValidationServiceImpl::GetTrafficLights(grpc::CallbackServerContext* call,
                                                                     const v1::GetTrafficLightsRequest* request,
                                                                     v1::GetTrafficLightsResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::BidValidationService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kAtCommit,
                  [this, request, response](const service::Caller& c, store::PgConnection& db) -> absl::Status {
                    TSODSO_ASSIGN_OR_RETURN(
                        const std::vector<core::LightPeriod> periods,
                        service::TrafficLights(db, ctx_, c, request->pcc_id(), FromProto(request->from()),
                                               FromProto(request->to())));
                    for (const core::LightPeriod& p : periods) ToProto(p, response->add_lights());
                    return absl::OkStatus();
                  });
}

}  // namespace tsodso::api
