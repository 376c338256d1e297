// ForecastService: a PCC's latest forecast as the caller may see it.
#include "api/dispatch.h"
#include "api/services.h"
#include "core/common/status_macros.h"
#include "service/forecast_view.h"
#include "service/wire.h"

namespace tsodso::api {

using service::FromProto;

grpc::ServerUnaryReactor* ForecastServiceImpl::GetForecast(grpc::CallbackServerContext* call,
                                                           const v1::GetForecastRequest* request,
                                                           v1::Forecast* response) {
  // The stored issue comes from a database worker; reading the measured
  // load (a file) and the intervals' arithmetic stay off it.
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::ForecastService);
  return RunComputed(ctx_, call, rpc, request, response,
                     [this, request, response](const service::Caller& c) -> absl::Status {
                       service::ForecastQuery query{request->pcc_id(), request->kind()};
                       if (request->has_from()) query.from = FromProto(request->from());
                       if (request->has_to()) query.to = FromProto(request->to());
                       if (request->has_as_of()) query.as_of = FromProto(request->as_of());
                       TSODSO_ASSIGN_OR_RETURN(*response, service::ForecastView(ctx_, *ctx_.pool, c, query));
                       return absl::OkStatus();
                     });
}

}  // namespace tsodso::api
