// What the gRPC services share, and the one wrapper every unary call goes
// through: identify, run on a database worker, audit, map the status.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <stop_token>

#include "api/compute_pool.h"
#include "api/convert.h"
#include "api/identity.h"
#include "api/status.h"
#include "core/audit/audit_chain.h"
#include "core/flexibility/engine.h"
#include "core/forecast/series.h"
#include "core/pcc/pcc_network.h"
#include "core/registry/party_registry.h"
#include "core/schedules/schedule.h"
#include "feed/hub.h"
#include "spdlog/spdlog.h"
#include "store/audit_store.h"
#include "store/db_pool.h"

namespace tsodso::api {

struct FeedOptions {
  size_t queue_capacity = 1024;
  int replay_page = 500;
};

// The flexibility scenarios in force; swapped whole when inputs change.
class FlexCatalogHolder {
 public:
  std::shared_ptr<const core::FlexCatalog> Get() const {
    std::lock_guard lock(mu_);
    return catalog_;
  }
  void Set(std::shared_ptr<const core::FlexCatalog> catalog) {
    std::lock_guard lock(mu_);
    catalog_ = std::move(catalog);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const core::FlexCatalog> catalog_ = std::make_shared<core::FlexCatalog>();
};

// A PCC's measured load (MW, consumption before DER injection) on the
// 15-minute grid, and a description of where it comes from for the
// forecasts' inputs (no file names: those stay with the DSO).
struct LoadHistory {
  core::Series series;
  std::string description;
};
// Return the load history of [from, to) of the scenario's PCC.
using LoadHistorySource =
    std::function<absl::StatusOr<LoadHistory>(const core::FlexScenario& scenario, absl::Time from, absl::Time to)>;

struct ServiceContext {
  std::shared_ptr<const core::PartyRegistry> registry;
  // Who is calling, from the verified client certificate.
  std::shared_ptr<PartyResolver> identities;
  store::DbPool* pool = nullptr;
  feed::FeedHub* hub = nullptr;
  FeedOptions feed;
  FlexCatalogHolder* flex = nullptr;
  // The DSO-private networks and resource registry (never sent out).
  std::shared_ptr<const core::GridCatalog> grids = std::make_shared<core::GridCatalog>();
  std::vector<core::Portfolio> portfolios;
  core::ScheduleHorizon schedule_horizon;
  // How long a prequalification holds.
  absl::Duration qualification_validity = absl::Hours(24 * 365);
  // Threads for answers that take CPU time but no database (RunComputed).
  ComputePool* compute = nullptr;
  // The PCCs' measured load, for what forecasts compare with.
  LoadHistorySource load_history;
  // Set when the gateway is stopping: long computations give up
  // (UNAVAILABLE) rather than hold up the shutdown.
  std::stop_token stopping;
};

// Why a computation gave up when the gateway was stopping.
inline constexpr char kStoppingMessage[] = "gateway is shutting down; ask again";

// Return the status as a caller outside the DSO may see it: storage and
// internal failures lose their details (database host, SQL), which stay in
// the gateway's log.
inline absl::Status ForCaller(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kUnavailable:
      return absl::UnavailableError("gateway storage is unavailable; retry with the same idempotency key");
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kAborted:
      return absl::Status(st.code(), "internal error; the request was not applied");
    default:
      return st;
  }
}

// Run `body`, turning an exception into INTERNAL (logged): no exception
// leaves an RPC.
inline absl::Status Guarded(const char* method, const std::string& party_id,
                            const std::function<absl::Status()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    spdlog::error("{} by {}: unexpected exception: {}", method, party_id, e.what());
  } catch (...) {
    spdlog::error("{} by {}: unexpected exception", method, party_id);
  }
  return absl::InternalError("internal error; the request was not applied");
}

// Finish a unary call with `st` as the caller may see it.
template <typename Response>
void FinishUnary(grpc::ServerUnaryReactor* reactor, Response* response, const char* method, const std::string& party_id,
                 absl::Status st) {
  if (!st.ok()) {
    response->Clear();
    spdlog::info("{} by {}: {}", method, party_id, st.ToString());
    st = ForCaller(st);
  }
  reactor->Finish(ToGrpcStatus(st));
}

// Run `body` for a unary RPC on a database worker, inside one transaction
// that also appends the audit record, so an acknowledged change and its
// record commit together. A refused call is audited in a transaction of its
// own. No exception escapes: it becomes INTERNAL.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* RunUnary(ServiceContext& ctx, grpc::CallbackServerContext* call, const char* method,
                                   const Request* request, Response* response,
                                   std::function<absl::Status(const core::Party&, store::PgConnection&)> body) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  auto party = CallerParty(*call, *ctx.identities);
  if (!party.ok()) {
    reactor->Finish(ToGrpcStatus(party.status()));
    return reactor;
  }
  ctx.pool->Post([=, p = *party](absl::StatusOr<store::PgConnection*> conn) {
    absl::Status st = Guarded(method, p->id, [&]() -> absl::Status {
      const std::string request_digest = core::Sha256Hex(DeterministicBytes(*request));
      if (!conn.ok()) return conn.status();
      store::PgConnection& db = **conn;
      absl::Status done = store::InTransaction(db, [&]() -> absl::Status {
        if (auto s = body(*p, db); !s.ok()) return s;
        return store::AppendAudit(
            db, {p->id, method, "OK", request_digest, core::Sha256Hex(DeterministicBytes(*response))});
      });
      if (!done.ok() && done.code() != absl::StatusCode::kUnavailable) {
        auto audited = store::AppendAuditNow(
            db, {p->id, method, GrpcCodeName(static_cast<grpc::StatusCode>(done.code())), request_digest, ""});
        if (!audited.ok())
          spdlog::error("audit of refused {} by {} failed: {}", method, p->id, std::string(audited.message()));
      }
      return done;
    });
    FinishUnary(reactor, response, method, p->id, st);
  });
  return reactor;
}

// Run `body` for a read-only unary RPC that takes CPU time and no
// database on the compute pool, then audit the call on a database worker
// (an answer that cannot be audited is not given: UNAVAILABLE).
template <typename Request, typename Response>
grpc::ServerUnaryReactor* RunComputed(ServiceContext& ctx, grpc::CallbackServerContext* call, const char* method,
                                      const Request* request, Response* response,
                                      std::function<absl::Status(const core::Party&)> body) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  auto party = CallerParty(*call, *ctx.identities);
  if (!party.ok()) {
    reactor->Finish(ToGrpcStatus(party.status()));
    return reactor;
  }
  ctx.compute->Post([=, &ctx, p = *party] {
    const absl::Status st = Guarded(method, p->id, [&] { return body(*p); });
    store::AuditEntry entry{p->id, method, st.ok() ? "OK" : GrpcCodeName(static_cast<grpc::StatusCode>(st.code())),
                            core::Sha256Hex(DeterministicBytes(*request)),
                            st.ok() ? core::Sha256Hex(DeterministicBytes(*response)) : ""};
    ctx.pool->Post([=](absl::StatusOr<store::PgConnection*> conn) {
      absl::Status audited = conn.ok() ? store::AppendAuditNow(**conn, entry) : conn.status();
      if (!audited.ok()) spdlog::error("audit of {} by {} failed: {}", method, p->id, std::string(audited.message()));
      FinishUnary(reactor, response, method, p->id, st.ok() ? audited : st);
    });
  });
  return reactor;
}

}  // namespace tsodso::api
