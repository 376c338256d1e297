// PrequalificationService: aggregators' claims on registered assets.
#include "api/dispatch.h"
#include "api/services.h"
#include "core/common/status_macros.h"
#include "service/prequalification.h"
#include "service/wire.h"

namespace tsodso::api {

using service::FromProto;

grpc::ServerUnaryReactor* PrequalificationServiceImpl::RequestPrequalification(
    grpc::CallbackServerContext* call, const v1::PrequalificationRequest* request,
    v1::PrequalificationResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::PrequalificationService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kAtCommit,
                  [this, request, response](const service::Caller& c, store::PgConnection& db) -> absl::Status {
                    TSODSO_ASSIGN_OR_RETURN(
                        *response,
                        service::RequestPrequalification(db, ctx_, c, request->idempotency_key(), FromProto(*request)));
                    return absl::OkStatus();
                  });
}

}  // namespace tsodso::api
