#include "api/dispatch.h"

#include <chrono>
#include <string>

#include "absl/strings/match.h"
#include "core/audit/audit_chain.h"
#include "core/common/status_macros.h"
#include "service/wire.h"
#include "service/wire_checks.h"
#include "spdlog/spdlog.h"

namespace tsodso::api {
namespace {

// Run `body`, turning an exception into INTERNAL (logged): no exception
// leaves an RPC.
absl::Status Guarded(const Rpc& rpc, const std::string& party_id, const std::function<absl::Status()>& body) {
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

// Finish a unary call with `st` as the caller may see it.
void Finish(grpc::ServerUnaryReactor* reactor, google::protobuf::Message* response, const Rpc& rpc,
            const std::string& party_id, absl::Status st) {
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

std::string Outcome(const absl::Status& st) {
  return st.ok() ? "OK" : GrpcCodeName(static_cast<grpc::StatusCode>(st.code()));
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
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kAborted:
      return absl::Status(st.code(), "internal error; the request was not applied");
    default:
      return st;
  }
}

void AuditLater(store::DbPool& pool, store::AuditEntry entry) {
  pool.Post([entry = std::move(entry)](absl::StatusOr<store::PgConnection*> conn) {
    absl::Status st = conn.ok() ? store::AppendAuditNow(**conn, entry) : conn.status();
    if (!st.ok())
      spdlog::error("audit of {} by {} failed: {}", entry.method, entry.party_id, std::string(st.message()));
  });
}

grpc::ServerUnaryReactor* RunUnary(ServiceContext& ctx, grpc::CallbackServerContext* call, const Rpc& rpc,
                                   const google::protobuf::Message* request, google::protobuf::Message* response,
                                   UnaryBody body) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  const std::shared_ptr<const core::Party> party = Identify(ctx, call, reactor);
  if (party == nullptr) return reactor;
  const absl::Time now = service::ToStoreResolution(absl::Now());
  ctx.pool->Post([=, &rpc, p = party, body = std::move(body)](absl::StatusOr<store::PgConnection*> conn) {
    const absl::Status st = Guarded(rpc, p->id, [&]() -> absl::Status {
      if (!conn.ok()) return conn.status();
      store::PgConnection& db = **conn;
      const service::Caller caller{*p, now, rpc.path, core::Sha256Hex(service::DeterministicBytes(*request))};
      absl::Status done = CheckAccess(rpc, *p);
      if (done.ok()) done = MayStart(call);
      if (done.ok()) done = service::CheckRequest(*request);
      if (done.ok()) {
        // The change and its audit record commit together.
        done = store::InTransaction(db, [&]() -> absl::Status {
          TSODSO_RETURN_IF_ERROR(body(caller, db));
          return store::AppendAudit(db, {p->id, rpc.path, "OK", caller.request_digest,
                                         core::Sha256Hex(service::DeterministicBytes(*response))});
        });
      }
      // A refused call is audited in a transaction of its own.
      if (!done.ok() && done.code() != absl::StatusCode::kUnavailable) {
        auto audited = store::AppendAuditNow(db, {p->id, rpc.path, Outcome(done), caller.request_digest, ""});
        if (!audited.ok()) {
          spdlog::error("audit of refused {} by {} failed: {}", rpc.name, p->id, std::string(audited.message()));
        }
      }
      return done;
    });
    Finish(reactor, response, rpc, p->id, st);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RunComputed(ServiceContext& ctx, grpc::CallbackServerContext* call, const Rpc& rpc,
                                      const google::protobuf::Message* request, google::protobuf::Message* response,
                                      ComputedBody body) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  const std::shared_ptr<const core::Party> party = Identify(ctx, call, reactor);
  if (party == nullptr) return reactor;
  const absl::Time now = service::ToStoreResolution(absl::Now());
  auto task = [=, &ctx, &rpc, p = party, body = std::move(body)](runtime::Stateless&) {
    const std::string digest = core::Sha256Hex(service::DeterministicBytes(*request));
    const absl::Status st = Guarded(rpc, p->id, [&]() -> absl::Status {
      TSODSO_RETURN_IF_ERROR(CheckAccess(rpc, *p));
      TSODSO_RETURN_IF_ERROR(MayStart(call));
      TSODSO_RETURN_IF_ERROR(service::CheckRequest(*request));
      return body(service::Caller{*p, now, rpc.path, digest});
    });
    // An answer that cannot be audited is not given (UNAVAILABLE).
    store::AuditEntry entry{p->id, rpc.path, Outcome(st), digest,
                            st.ok() ? core::Sha256Hex(service::DeterministicBytes(*response)) : ""};
    ctx.pool->Post([=, &rpc](absl::StatusOr<store::PgConnection*> conn) {
      absl::Status audited = conn.ok() ? store::AppendAuditNow(**conn, entry) : conn.status();
      if (!audited.ok()) spdlog::error("audit of {} by {} failed: {}", rpc.name, p->id, std::string(audited.message()));
      Finish(reactor, response, rpc, p->id, st.ok() ? audited : st);
    });
  };
  if (absl::Status queued = ctx.compute->Post(std::move(task)); !queued.ok()) {
    Finish(reactor, response, rpc, party->id, queued);
  }
  return reactor;
}

}  // namespace tsodso::api
