#include "store/leader_lock.h"

#include "runtime/metrics.h"

namespace tsodso::store {
namespace {

constexpr char kTryLock[] = "SELECT pg_try_advisory_lock($1::bigint)";
constexpr char kAlive[] = "SELECT 1";
constexpr char kKeepalives[] =
    "SELECT set_config('tcp_keepalives_idle', '10', false), set_config('tcp_keepalives_interval', '5', false), "
    "set_config('tcp_keepalives_count', '3', false)";

}  // namespace

LeaderLock::LeaderLock(std::string dsn, int64_t key, SessionOptions session)
    : dsn_(std::move(dsn)), key_(key), session_(session) {}

bool LeaderLock::Hold() {
  std::lock_guard lock(mu_);
  const bool held = TryHold();
  static prometheus::Gauge& shown = runtime::Metrics::Get().publisher_lock_held.Add({});
  shown.Set(held ? 1 : 0);
  return held;
}

bool LeaderLock::TryHold() {
  if (conn_ == nullptr || !conn_->healthy()) {
    // A new session holds nothing.
    held_ = false;
    conn_.reset();
    auto opened = PgConnection::Open(dsn_, session_);
    if (!opened.ok()) return false;
    conn_ = std::move(*opened);
    // The lock goes when PostgreSQL notices the session is gone; an idle
    // session over TCP is noticed by keepalives, after 2 h by default.
    // Within 25 s, a replica cut off from the database (which stops
    // leading at once) has its lock released for another to take.
    if (!conn_->Exec(kKeepalives).ok()) {
      conn_.reset();
      return false;
    }
  }
  if (held_) {
    if (conn_->Exec(kAlive).ok()) return true;
    held_ = false;
    conn_.reset();
    return false;
  }
  auto r = conn_->Exec(kTryLock, {key_});
  held_ = r.ok() && r->Text(0, 0) == "t";
  return held_;
}

}  // namespace tsodso::store
