// Who may call which RPC: one line per RPC of every tsodso.v1 service,
// enforced by the dispatcher before any use case runs. A handler names its
// RPC with TSODSO_THIS_RPC, which looks it up by the generated service name
// and the handler's own name, so no method string is typed by hand.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/events/event.h"
#include "core/registry/party_registry.h"

namespace tsodso::api {

struct AccessRule {
  // The method's full protobuf name, e.g. "tsodso.v1.OperatorService.PublishNotice".
  const char* method;
  core::RoleMask roles;
};

// Every RPC and the roles that may call it (tests/unit/access_test.cc walks
// the services in proto/ against it).
const std::vector<AccessRule>& AccessTable();

// One RPC as the dispatcher sees it.
struct Rpc {
  std::string name;  // "PublishNotice", for messages
  std::string path;  // "/tsodso.v1.OperatorService/PublishNotice", for the audit log and idempotency keys
  core::RoleMask roles = 0;
};

// Return the RPC `method` of the service `service_full_name` with its access
// rule. An RPC the table does not name is a programming error: it aborts at
// the first call (and the access test fails before that).
const Rpc& FindRpc(std::string_view service_full_name, std::string_view method);

// PERMISSION_DENIED, naming the RPC and the party's role, when the party's
// role may not call it.
absl::Status CheckAccess(const Rpc& rpc, const core::Party& party);

}  // namespace tsodso::api

// The Rpc of the handler this appears in: `Service` is its generated gRPC
// service class (e.g. v1::OperatorService), the method the handler's name.
#define TSODSO_THIS_RPC(Service) (::tsodso::api::FindRpc(Service::service_full_name(), __func__))
