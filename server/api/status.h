// The one place where domain and storage statuses become gRPC statuses.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace tsodso::api {

// Payloads of the status (type URL -> serialized message) become the
// details of a google.rpc.Status in the call's error details.
grpc::Status ToGrpcStatus(const absl::Status& status);
// Canonical name of a gRPC status code, e.g. "PERMISSION_DENIED".
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace tsodso::api
