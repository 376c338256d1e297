// Transaction-scoped advisory locks on named keys.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "store/pg.h"

namespace tsodso::store {

// Inside an open transaction: lock the key made of `space` and `parts`
// until COMMIT or ROLLBACK, so that transactions on the same key run one
// after the other. Keys of different spaces never collide by construction
// (the parts are joined with a separator no identifier contains).
absl::Status LockUntilCommit(PgConnection& conn, const std::string& space, const std::vector<std::string>& parts);
// The same lock as a statement, to send in a pipeline ahead of the
// statements it guards.
Statement LockUntilCommitStatement(const std::string& space, const std::vector<std::string>& parts);

}  // namespace tsodso::store
