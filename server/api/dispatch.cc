#include "api/dispatch.h"

#include <chrono>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "core/audit/audit_chain.h"
#include "core/common/status_macros.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "service/wire.h"
#include "service/wire_checks.h"
#include "spdlog/spdlog.h"

namespace tsodso::api {
namespace {

// Run `body`, turning an exception into INTERNAL (logged): no exception
// leaves an RPC.
absl::Status Guarded(const Rpc& rpc, const std::string& party_id, const std::function<absl::Status()>& body) {
  // Every line the call writes names its party and method.
  runtime::log::Scope scope({{"party", party_id}, {"method", rpc.path}});
  try {
    return body();
  } catch (const std::exception& e) {
    spdlog::error("{} by {}: unexpected exception: {}", rpc.name, party_id, e.what());
  } catch (...) {
    spdlog::error("{} by {}: unexpected exception", rpc.name, party_id);
  }
  return absl::InternalError("internal error; the request was not applied");
}

// A call that was cancelled, or whose deadline passed while it waited for a
// worker, is not started: nobody waits for its answer, and a write would
// commit what the caller has given up on.
absl::Status MayStart(grpc::CallbackServerContext* call) {
  if (call->IsCancelled()) return absl::CancelledError("the call was cancelled before it ran; nothing was done");
  if (std::chrono::system_clock::now() > call->deadline()) {
    return absl::DeadlineExceededError("the call's deadline passed before it ran; nothing was done");
  }
  return absl::OkStatus();
}

std::string Outcome(const absl::Status& st) {
  return st.ok() ? "OK" : GrpcCodeName(static_cast<grpc::StatusCode>(st.code()));
}

// "tsodso.v1.OperatorService" of "/tsodso.v1.OperatorService/PublishNotice".
std::string ServiceOf(const Rpc& rpc) {
  const size_t end = rpc.path.rfind('/');
  return end == std::string::npos || end == 0 ? rpc.path : rpc.path.substr(1, end - 1);
}

// A unary call started: counted in flight until Finish.
absl::Time Started(const Rpc& rpc) {
  runtime::Metrics::Get().grpc_in_flight.Add({{"service", ServiceOf(rpc)}, {"method", rpc.name}}).Increment();
  return absl::Now();
}

// Finish a unary call with `st` as the caller may see it; count it, and
// log it at debug (no request body).
void Finish(grpc::ServerUnaryReactor* reactor, google::protobuf::Message* response, const Rpc& rpc,
            const std::string& party_id, absl::Time started, absl::Status st) {
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  const std::string code = Outcome(st);
  runtime::Metrics& m = runtime::Metrics::Get();
  const std::string service = ServiceOf(rpc);
  m.grpc_in_flight.Add({{"service", service}, {"method", rpc.name}}).Decrement();
  m.grpc_requests.Add({{"service", service}, {"method", rpc.name}, {"code", code}}).Increment();
  m.grpc_duration.Add({{"service", service}, {"method", rpc.name}}, runtime::Metrics::DurationBuckets())
      .Observe(seconds);
  runtime::log::Log(spdlog::level::debug,
                    {{"party", party_id}, {"method", rpc.path}, {"code", code}, {"duration_ms", seconds * 1000}},
                    "call finished");
  if (!st.ok()) {
    response->Clear();
    spdlog::info("{} by {}: {}", rpc.name, party_id, st.ToString());
    st = ForCaller(st);
  }
  reactor->Finish(ToGrpcStatus(st));
}

// Return the caller's party, or finish the call (UNAUTHENTICATED) and
// return null.
std::shared_ptr<const core::Party> Identify(ServiceContext& ctx, grpc::CallbackServerContext* call,
                                            grpc::ServerUnaryReactor* reactor) {
  auto party = CallerParty(*call, *ctx.identities);
  if (party.ok()) return *party;
  reactor->Finish(ToGrpcStatus(party.status()));
  return nullptr;
}

// A call's audit record for its outcome: the response's digest when it was
// answered, none when it was refused. A call that met an unavailable
// database cannot be audited.
std::function<std::optional<store::AuditEntry>(const absl::Status&)> AuditOf(
    const Rpc& rpc, std::shared_ptr<const core::Party> party, std::string request_digest,
    const google::protobuf::Message* response) {
  return [&rpc, party = std::move(party), request_digest = std::move(request_digest),
          response](const absl::Status& st) -> std::optional<store::AuditEntry> {
    if (st.code() == absl::StatusCode::kUnavailable) return std::nullopt;
    return store::AuditEntry{party->id, rpc.path, Outcome(st), request_digest,
                             st.ok() ? core::Sha256Hex(service::DeterministicBytes(*response)) : ""};
  };
}

}  // namespace

absl::Status ForCaller(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kUnavailable:
      // A gateway that is stopping says so: the caller should ask again,
      // another replica may answer.
      if (absl::StartsWith(st.message(), "gateway is shutting down")) return st;
      return absl::UnavailableError("gateway storage is unavailable; retry with the same idempotency key");
    case absl::StatusCode::kDeadlineExceeded:
      // A statement stopped by the database's statement timeout: its
      // transaction rolled back. The statement itself stays in the log.
      if (absl::StartsWith(st.message(), "database")) {
        return absl::DeadlineExceededError(
            "the gateway's storage took longer than it allows a statement; the request was not applied; retry later "
            "with the same idempotency key");
      }
      return st;
    case absl::StatusCode::kAborted:
      // Deadlock or serialization failure: a concurrent transaction won.
      if (absl::StrContains(st.message(), "[SQLSTATE 40")) {
        return absl::AbortedError(
            "the request met a concurrent one and was not applied; retry with the same idempotency key");
      }
      [[fallthrough]];
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
      return absl::Status(st.code(), "internal error; the request was not applied");
    default:
      return st;
  }
}

void AuditLater(store::GroupCommit& groups, store::AuditEntry entry) {
  store::GroupMember member;
  member.audit = [entry](const absl::Status&) { return std::optional<store::AuditEntry>(entry); };
  member.done = [entry](const absl::Status& st) {
    if (!st.ok())
      spdlog::error("audit of {} by {} failed: {}", entry.method, entry.party_id, std::string(st.message()));
  };
  member.numbering = store::Numbering::kAtCommit;
  groups.Submit(std::move(member));
}

grpc::ServerUnaryReactor* RunUnary(ServiceContext& ctx, grpc::CallbackServerContext* call, const Rpc& rpc,
                                   const google::protobuf::Message* request, google::protobuf::Message* response,
                                   store::Numbering numbering, UnaryBody body) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  const std::shared_ptr<const core::Party> party = Identify(ctx, call, reactor);
  if (party == nullptr) return reactor;
  const absl::Time started = Started(rpc);
  const absl::Time now = service::ToStoreResolution(started);
  // Digested here, not in the group, whose work is serialised.
  const std::string digest = core::Sha256Hex(service::DeterministicBytes(*request));
  store::GroupMember member;
  member.ready = [=, &rpc, p = party]() -> absl::Status {
    return Guarded(rpc, p->id, [&]() -> absl::Status {
      TSODSO_RETURN_IF_ERROR(CheckAccess(rpc, *p));
      TSODSO_RETURN_IF_ERROR(MayStart(call));
      return service::CheckRequest(*request);
    });
  };
  // The change commits with its audit record and the rest of its group.
  member.body = [=, &rpc, p = party, body = std::move(body)](store::PgConnection& db) -> absl::Status {
    return Guarded(rpc, p->id, [&] { return body(service::Caller{*p, now, rpc.path, digest}, db); });
  };
  member.audit = AuditOf(rpc, party, digest, response);
  member.done = [=, &rpc, p = party](const absl::Status& st) { Finish(reactor, response, rpc, p->id, started, st); };
  member.numbering = numbering;
  ctx.groups->Submit(std::move(member));
  return reactor;
}

grpc::ServerUnaryReactor* RunComputed(ServiceContext& ctx, grpc::CallbackServerContext* call, const Rpc& rpc,
                                      const google::protobuf::Message* request, google::protobuf::Message* response,
                                      ComputedBody body) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  const std::shared_ptr<const core::Party> party = Identify(ctx, call, reactor);
  if (party == nullptr) return reactor;
  const absl::Time started = Started(rpc);
  const absl::Time now = service::ToStoreResolution(started);
  auto task = [=, &ctx, &rpc, p = party, body = std::move(body)](runtime::Stateless&) {
    const std::string digest = core::Sha256Hex(service::DeterministicBytes(*request));
    const absl::Status st = Guarded(rpc, p->id, [&]() -> absl::Status {
      TSODSO_RETURN_IF_ERROR(CheckAccess(rpc, *p));
      TSODSO_RETURN_IF_ERROR(MayStart(call));
      TSODSO_RETURN_IF_ERROR(service::CheckRequest(*request));
      return body(service::Caller{*p, now, rpc.path, digest});
    });
    // The answer's audit record joins a group; an answer that cannot be
    // audited is not given (UNAVAILABLE).
    store::GroupMember member;
    member.ready = [st] { return st; };
    member.audit = AuditOf(rpc, p, digest, response);
    member.done = [=, &rpc](const absl::Status& audited) { Finish(reactor, response, rpc, p->id, started, audited); };
    member.numbering = store::Numbering::kAtCommit;
    ctx.groups->Submit(std::move(member));
  };
  if (absl::Status queued = ctx.compute->Post(std::move(task)); !queued.ok()) {
    Finish(reactor, response, rpc, party->id, started, queued);
  }
  return reactor;
}

}  // namespace tsodso::api
