// CurtailmentService: aggregators acknowledge the curtailment notices they
// received.
#include "api/dispatch.h"
#include "api/services.h"
#include "core/common/status_macros.h"
#include "service/curtailment.h"
#include "service/wire.h"

namespace tsodso::api {

using service::ToProto;

grpc::ServerUnaryReactor* CurtailmentServiceImpl::AcknowledgeNotice(grpc::CallbackServerContext* call,
                                                                    const v1::AcknowledgeNoticeRequest* request,
                                                                    v1::AcknowledgeNoticeResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::CurtailmentService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kAtCommit,
                  [request, response](const service::Caller& c, store::PgConnection& db) -> absl::Status {
                    TSODSO_ASSIGN_OR_RETURN(const store::Acknowledgement ack,
                                            service::AcknowledgeNotice(db, c, request->notice_id()));
                    response->set_notice_id(request->notice_id());
                    ToProto(ack.at, response->mutable_acknowledged_at());
                    response->set_already_acknowledged(ack.already);
                    return absl::OkStatus();
                  });
}

}  // namespace tsodso::api
