// ScheduleService: aggregators' schedules in, and read back.
#include "api/dispatch.h"
#include "api/services.h"
#include "core/common/status_macros.h"
#include "service/schedules.h"
#include "service/wire.h"

namespace tsodso::api {

using service::FromProto;
using service::ToProto;

grpc::ServerUnaryReactor* ScheduleServiceImpl::SubmitSchedule(grpc::CallbackServerContext* call,
                                                              const v1::SubmitScheduleRequest* request,
                                                              v1::ScheduleReceipt* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::ScheduleService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kAtCommit,
                  [this, request, response](const service::Caller& c, store::PgConnection& db) -> absl::Status {
                    TSODSO_ASSIGN_OR_RETURN(*response, service::SubmitSchedule(db, ctx_, c, *request));
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* ScheduleServiceImpl::GetSchedule(grpc::CallbackServerContext* call,
                                                           const v1::GetScheduleRequest* request,
                                                           v1::GetScheduleResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::ScheduleService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kAtCommit,
                  [this, request, response](const service::Caller& c, store::PgConnection& db) -> absl::Status {
                    const absl::Time as_of = request->has_as_of() ? FromProto(request->as_of()) : c.now;
                    TSODSO_ASSIGN_OR_RETURN(
                        const store::StoredSchedule stored,
                        service::ReadSchedule(db, ctx_, c, request->portfolio_id(), request->revision(), as_of));
                    ToProto(stored, response);
                    return absl::OkStatus();
                  });
}

}  // namespace tsodso::api
