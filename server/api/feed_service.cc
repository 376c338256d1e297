// FeedService: one resumable event stream per subscription.
#include "api/parse_guard.h"
#include "api/services.h"
#include "api/subscribe_reactor.h"

namespace tsodso::api {

grpc::ServerWriteReactor<grpc::ByteBuffer>* FeedServiceImpl::Subscribe(grpc::CallbackServerContext* call,
                                                                       const grpc::ByteBuffer* raw) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::FeedService);
  v1::SubscribeRequest request;
  ParseGuarded(*raw, request);
  return SubscribeReactor::Create(ctx_, call, rpc, request);
}

}  // namespace tsodso::api
