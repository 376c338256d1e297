// Numbered schema migrations, compiled into the binary and applied at start.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/pg.h"

namespace tsodso::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// The migrations from server/store/migrations, in version order.
const std::vector<Migration>& EmbeddedMigrations();

// Apply every migration not yet recorded in schema_migrations, each in its
// own transaction, under an advisory lock so that replicas starting together
// do not race. Return how many were applied (0 on an up-to-date database).
absl::StatusOr<int> Migrate(PgConnection& conn);

}  // namespace tsodso::store
