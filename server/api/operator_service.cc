// OperatorService: the DSO operator's notices, interventions and
// curtailments.
#include "api/dispatch.h"
#include "api/services.h"
#include "core/common/status_macros.h"
#include "service/curtailment.h"
#include "service/notices.h"
#include "service/traffic_lights.h"
#include "service/wire.h"

namespace tsodso::api {

using service::FromProto;
using service::ToProto;

grpc::ServerUnaryReactor* OperatorServiceImpl::PublishNotice(grpc::CallbackServerContext* call,
                                                             const v1::PublishNoticeRequest* request,
                                                             v1::PublishNoticeResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::OperatorService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kInCall,
                  [this, request, response](const service::Caller& c, store::PgConnection& db) -> absl::Status {
                    TSODSO_ASSIGN_OR_RETURN(*response, service::PublishNotice(db, ctx_, c, request->idempotency_key(),
                                                                              FromProto(*request)));
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::DeclareIntervention(grpc::CallbackServerContext* call,
                                                                   const v1::DeclareInterventionRequest* request,
                                                                   v1::DeclareInterventionResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::OperatorService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kInCall,
                  [this, request, response](const service::Caller& c, store::PgConnection& db) -> absl::Status {
                    const service::InterventionRequest intervention{request->idempotency_key(), request->pcc_id(),
                                                                    FromProto(request->from()),
                                                                    FromProto(request->to()), request->lift()};
                    TSODSO_ASSIGN_OR_RETURN(*response, service::DeclareIntervention(db, ctx_, c, intervention));
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::IssueCurtailment(grpc::CallbackServerContext* call,
                                                                const v1::IssueCurtailmentRequest* request,
                                                                v1::IssueCurtailmentResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::OperatorService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kInCall,
                  [this, request, response](const service::Caller& c, store::PgConnection& db) -> absl::Status {
                    TSODSO_ASSIGN_OR_RETURN(
                        *response,
                        service::IssueCurtailment(db, ctx_, c, request->idempotency_key(), FromProto(*request)));
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::GetCurtailmentStatus(grpc::CallbackServerContext* call,
                                                                    const v1::GetCurtailmentStatusRequest* request,
                                                                    v1::CurtailmentStatus* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::OperatorService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kAtCommit,
                  [request, response](const service::Caller&, store::PgConnection& db) -> absl::Status {
                    TSODSO_ASSIGN_OR_RETURN(const store::CurtailmentRecord record,
                                            service::CurtailmentStatus(db, request->curtailment_id()));
                    ToProto(request->curtailment_id(), record, response);
                    return absl::OkStatus();
                  });
}

}  // namespace tsodso::api
