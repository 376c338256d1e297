// FeedService: one resumable event stream per subscription.
#include "api/services.h"
#include "api/subscribe_reactor.h"

namespace tsodso::api {

grpc::ServerWriteReactor<v1::Event>* FeedServiceImpl::Subscribe(grpc::CallbackServerContext* call,
                                                                const v1::SubscribeRequest* request) {
  static const Rpc& rpc = TSODSO_THIS_RPC(v1::FeedService);
  return SubscribeReactor::Create(ctx_, call, rpc, *request);
}

}  // namespace tsodso::api
