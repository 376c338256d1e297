// FlexibilityService: a PCC's flexibility as the caller may see it.
#include "api/dispatch.h"
#include "api/services.h"
#include "core/common/status_macros.h"
#include "service/flexibility_view.h"
#include "service/wire.h"

namespace tsodso::api {

using service::FromProto;
using service::ToProto;

grpc::ServerUnaryReactor* FlexibilityServiceImpl::GetFlexibility(grpc::CallbackServerContext* call,
                                                                 const v1::GetFlexibilityRequest* request,
                                                                 v1::GetFlexibilityResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::FlexibilityService);
  return RunComputed(
      ctx_, call, rpc, request, response, [this, request, response](const service::Caller& c) -> absl::Status {
        const service::FlexQuery query{request->pcc_id(),           request->scenario(),
                                       FromProto(request->from()),  FromProto(request->to()),
                                       request->include_vertices(), request->include_grid_limited()};
        TSODSO_ASSIGN_OR_RETURN(const service::FlexView view, service::FlexibilityView(ctx_, *ctx_.pool, c, query));
        response->set_pcc_id(request->pcc_id());
        ToProto(view, request->include_vertices(), response);
        return absl::OkStatus();
      });
}

}  // namespace tsodso::api
