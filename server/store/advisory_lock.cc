#include "store/advisory_lock.h"

#include "absl/strings/str_join.h"

namespace tsodso::store {
namespace {

constexpr char kLock[] = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

}  // namespace

Statement LockUntilCommitStatement(const std::string& space, const std::vector<std::string>& parts) {
  // U+001F (unit separator): client-chosen keys are printable ASCII.
  return Statement{kLock, {absl::StrCat(space, "\x1f", absl::StrJoin(parts, "\x1f"))}};
}

absl::Status LockUntilCommit(PgConnection& conn, const std::string& space, const std::vector<std::string>& parts) {
  const Statement lock = LockUntilCommitStatement(space, parts);
  return conn.Exec(lock.sql, lock.params).status();
}

}  // namespace tsodso::store
