#include "store/migrations.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace tsodso::store {
namespace {

constexpr char kCreateLedger[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
// Any constant shared by all replicas; names the lock in pg_locks.
constexpr char kLock[] = "SELECT pg_advisory_lock(7163601)";
constexpr char kUnlock[] = "SELECT pg_advisory_unlock(7163601)";
constexpr char kApplied[] = "SELECT version FROM schema_migrations";
constexpr char kRecord[] = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

}  // namespace

absl::StatusOr<int> Migrate(PgConnection& conn) {
  if (auto r = conn.Exec(kLock); !r.ok()) return r.status();
  auto unlock = [&conn] { (void)conn.Exec(kUnlock); };
  if (auto st = conn.ExecScript(kCreateLedger); !st.ok()) {
    unlock();
    return st;
  }
  auto applied_rows = conn.Exec(kApplied);
  if (!applied_rows.ok()) {
    unlock();
    return applied_rows.status();
  }
  std::set<int> applied;
  for (int i = 0; i < applied_rows->rows(); ++i) applied.insert(static_cast<int>(applied_rows->Int64(i, 0)));

  int count = 0;
  for (const Migration& m : EmbeddedMigrations()) {
    if (applied.count(m.version)) continue;
    absl::Status st = InTransaction(conn, [&]() -> absl::Status {
      if (auto s = conn.ExecScript(m.sql); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("migration ", m.name, ": ", s.message()));
      }
      return conn.Exec(kRecord, {m.version, m.name}).status();
    });
    if (!st.ok()) {
      unlock();
      return st;
    }
    ++count;
  }
  unlock();
  return count;
}

}  // namespace tsodso::store
