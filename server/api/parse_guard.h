// The gRPC service the server registers in place of each of its services,
// so that a request protobuf cannot parse is refused like any other bad
// request: INVALID_ARGUMENT naming the field, audited.
//
// gRPC parses a call's request before any handler runs. When that fails
// (a proto3 string that is not UTF-8, a malformed encoding), gRPC 1.51's
// callback API ends the call with UNIMPLEMENTED and no message: the caller
// learns nothing, and the gateway neither answers nor audits it. This
// service has the same methods as the typed one and runs its handlers; only
// when a request does not parse does it look at the bytes, say why
// (service::DiagnoseUnparsable), and hand the handler a request that
// carries that refusal (service::EncodeRefusal), which the handler's
// request check (service::CheckRequest) answers.
#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include <deque>
#include <string>

namespace tsodso::api {

// Parse the request a raw method received (one that takes and sends
// grpc::ByteBuffer, to write bytes encoded once) into `request` as the guard
// does for a typed method: bytes protobuf cannot parse become the request
// that carries the refusal, which the handler's request check answers.
void ParseGuarded(const grpc::ByteBuffer& bytes, google::protobuf::Message& request);

class ParseGuardedService final : public grpc::Service {
 public:
  // `typed` is the generated service `descriptor` describes, all of its
  // methods callback ones; it must outlive this one and is never
  // registered itself.
  ParseGuardedService(grpc::Service& typed, const google::protobuf::ServiceDescriptor& descriptor);

 private:
  std::deque<std::string> paths_;  // gRPC keeps the method names' pointers
};

}  // namespace tsodso::api
