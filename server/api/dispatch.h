// The one way a unary call runs: identify the caller from its certificate,
// check the access table, take the request time, run the use case on the
// right pool (unless the call was cancelled or its deadline passed while it
// waited), audit it, and map the status for the caller.
//
// RunUnary is for use cases that need the database: they run on a database
// worker inside one transaction with their audit record. RunComputed is for
// answers that take CPU time (a grid-limited area, a forecast view): they
// run on the compute pool and may read the database through DbPool::Run;
// the call is audited afterwards on a database worker.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <functional>

#include "api/access.h"
#include "api/service_context.h"
#include "api/status.h"
#include "service/context.h"
#include "store/audit_store.h"
#include "store/pg.h"

namespace tsodso::api {

// Return the status as a caller outside the DSO may see it: storage and
// internal failures lose their details (database host, SQL), which stay in
// the gateway's log.
absl::Status ForCaller(const absl::Status& st);

// Append an audit record with the next group without waiting for it; a
// record that cannot be written is logged.
void AuditLater(store::GroupCommit& groups, store::AuditEntry entry);

using UnaryBody = std::function<absl::Status(const service::Caller&, store::PgConnection&)>;
using ComputedBody = std::function<absl::Status(const service::Caller&)>;

// `request` and `response` are the call's messages, which gRPC keeps alive
// until the reactor finishes.
// `numbering`: kAtCommit when neither the answer nor any row the body
// writes carries the seq of an event it appends (store/group_commit.h).
grpc::ServerUnaryReactor* RunUnary(ServiceContext& ctx, grpc::CallbackServerContext* call, const Rpc& rpc,
                                   const google::protobuf::Message* request, google::protobuf::Message* response,
                                   store::Numbering numbering, UnaryBody body);
grpc::ServerUnaryReactor* RunComputed(ServiceContext& ctx, grpc::CallbackServerContext* call, const Rpc& rpc,
                                      const google::protobuf::Message* request, google::protobuf::Message* response,
                                      ComputedBody body);

}  // namespace tsodso::api
