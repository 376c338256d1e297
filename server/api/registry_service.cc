// RegistryService: who the caller is and which PCCs it may see.
#include "api/dispatch.h"
#include "api/services.h"
#include "service/wire.h"

namespace tsodso::api {

using service::ToProto;

grpc::ServerUnaryReactor* RegistryServiceImpl::WhoAmI(grpc::CallbackServerContext* call,
                                                      const v1::WhoAmIRequest* request, v1::WhoAmIResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::RegistryService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kAtCommit,
                  [this, response](const service::Caller& c, store::PgConnection&) {
                    response->set_party_id(c.party.id);
                    response->set_role(ToProto(c.party.role));
                    response->set_certificate_identity(c.party.certificate_identity);
                    for (const core::Pcc* pcc : ctx_.directory()->registry->VisiblePccs(c.party))
                      response->add_pcc_ids(pcc->id);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* RegistryServiceImpl::ListPccs(grpc::CallbackServerContext* call,
                                                        const v1::ListPccsRequest* request,
                                                        v1::ListPccsResponse* response) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::RegistryService);
  return RunUnary(ctx_, call, rpc, request, response, store::Numbering::kAtCommit,
                  [this, response](const service::Caller& c, store::PgConnection&) {
                    for (const core::Pcc* pcc : ctx_.directory()->registry->VisiblePccs(c.party))
                      ToProto(*pcc, response->add_pccs());
                    return absl::OkStatus();
                  });
}

}  // namespace tsodso::api
