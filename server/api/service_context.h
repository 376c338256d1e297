// What the gRPC services share, and the one wrapper every unary call goes
// through: identify, run on a database worker, audit, map the status.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>

#include "api/convert.h"
#include "api/identity.h"
#include "api/status.h"
#include "core/audit/audit_chain.h"
#include "core/flexibility/engine.h"
#include "core/grid/pcc_network.h"
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

struct ServiceContext {
  std::shared_ptr<const core::PartyRegistry> registry;
  store::DbPool* pool = nullptr;
  feed::FeedHub* hub = nullptr;
  FeedOptions feed;
  FlexCatalogHolder* flex = nullptr;
  // The DSO-private networks and resource registry (never sent out).
  std::shared_ptr<const core::GridCatalog> grids = std::make_shared<core::GridCatalog>();
  std::vector<core::Portfolio> portfolios;
  core::ScheduleHorizon schedule_horizon;
};

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

// Run `body` for a unary RPC on a database worker, inside one transaction
// that also appends the audit record, so an acknowledged change and its
// record commit together. A refused call is audited in a transaction of its
// own. No exception escapes: it becomes INTERNAL.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* RunUnary(ServiceContext& ctx, grpc::CallbackServerContext* call, const char* method,
                                   const Request* request, Response* response,
                                   std::function<absl::Status(const core::Party&, store::PgConnection&)> body) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  auto party = CallerParty(*call, *ctx.registry);
  if (!party.ok()) {
    reactor->Finish(ToGrpcStatus(party.status()));
    return reactor;
  }
  ctx.pool->Post([=, p = *party](absl::StatusOr<store::PgConnection*> conn) {
    absl::Status st;
    try {
      const std::string request_digest = core::Sha256Hex(DeterministicBytes(*request));
      if (!conn.ok()) {
        st = conn.status();
      } else {
        store::PgConnection& db = **conn;
        st = store::InTransaction(db, [&]() -> absl::Status {
          if (auto s = body(*p, db); !s.ok()) return s;
          return store::AppendAudit(
              db, {p->id, method, "OK", request_digest, core::Sha256Hex(DeterministicBytes(*response))});
        });
        if (!st.ok() && st.code() != absl::StatusCode::kUnavailable) {
          auto audited = store::AppendAuditNow(
              db, {p->id, method, GrpcCodeName(static_cast<grpc::StatusCode>(st.code())), request_digest, ""});
          if (!audited.ok())
            spdlog::error("audit of refused {} by {} failed: {}", method, p->id, std::string(audited.message()));
        }
      }
    } catch (const std::exception& e) {
      spdlog::error("{} by {}: unexpected exception: {}", method, p->id, e.what());
      st = absl::InternalError("internal error; the request was not applied");
    } catch (...) {
      spdlog::error("{} by {}: unexpected exception", method, p->id);
      st = absl::InternalError("internal error; the request was not applied");
    }
    if (!st.ok()) {
      response->Clear();
      spdlog::info("{} by {}: {}", method, p->id, st.ToString());
      st = ForCaller(st);
    }
    reactor->Finish(ToGrpcStatus(st));
  });
  return reactor;
}

}  // namespace tsodso::api
