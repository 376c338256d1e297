// Operator notices in PostgreSQL.
#pragma once

#include "absl/status/status.h"
#include "core/notices/notice.h"
#include "store/pg.h"

namespace tsodso::store {

// Insert the notice inside an open transaction.
absl::Status InsertNotice(PgConnection& conn, const core::Notice& notice);

}  // namespace tsodso::store
