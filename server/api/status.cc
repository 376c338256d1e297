#include "api/status.h"

#include "tsodso/v1/common.pb.h"

namespace tsodso::api {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  const auto code = static_cast<grpc::StatusCode>(status.code());
  v1::RpcStatus details;
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    google::protobuf::Any* any = details.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  if (details.details().empty()) return grpc::Status(code, std::string(status.message()));
  // The message travels beside the details in the same trailer; the copy
  // inside them is kept short.
  constexpr size_t kMessageInDetails = 200;
  details.set_code(static_cast<int32_t>(code));
  details.set_message(std::string(status.message().substr(0, kMessageInDetails)));
  return grpc::Status(code, std::string(status.message()), details.SerializeAsString());
}

std::string GrpcCodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace tsodso::api
