// Each PCC's flexibility publication shared among the replicas through the
// `pcc_work` table: a replica claims a due PCC under a lease, computes it,
// and publishes it in a transaction that moves the PCC's cycle on only if
// nobody else has, so every cycle is published exactly once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/pg.h"

namespace tsodso::store {

struct PccWorkOptions {
  // Names this replica in the table (host, process and a random part).
  std::string replica;
  // A claim lapses this long after its last renewal: a replica that dies
  // leaves its PCC to the others within one lease.
  absl::Duration lease = absl::Seconds(30);
  // How often each PCC is published.
  absl::Duration interval = absl::Minutes(15);
};

// A PCC this replica claimed: the cycle it computes.
struct PccLease {
  std::string pcc_id;
  int64_t cycle = 0;  // publications made before this one
};

// Return a replica name unique to this process.
std::string NewReplicaName();

// Add the PCCs the table does not hold yet, due at once.
absl::Status RegisterPccs(PgConnection& conn, const std::vector<std::string>& pccs);

// Make the PCCs due now (their inputs changed).
absl::Status MarkPccsDue(PgConnection& conn, const std::vector<std::string>& pccs);

// Claim one due PCC of `pccs` that no live lease holds: this replica's own
// (the ones it published last) first, then the most overdue. nullopt when
// none is due.
absl::StatusOr<std::optional<PccLease>> ClaimDuePcc(PgConnection& conn, const std::vector<std::string>& pccs,
                                                    const PccWorkOptions& options);

// Extend the lease; false when the claim is no longer this replica's (its
// lease lapsed and another took the PCC, or the cycle was published).
absl::StatusOr<bool> RenewLease(PgConnection& conn, const PccLease& lease, const PccWorkOptions& options);

// In the transaction that appends the PCC's event: move its cycle on and
// schedule the next. false when the cycle was published already (by a
// replica that took the PCC over): roll back, publish nothing.
absl::StatusOr<bool> CompleteCycle(PgConnection& conn, const PccLease& lease, const PccWorkOptions& options);

// In the transaction that appends their preliminary events (the DERs' own
// figures ahead of the grid-limited ones): of `pccs`, the due ones that
// were never published or not for two intervals, and whose current cycle
// has no preliminary figures yet, now marked as having them.
absl::StatusOr<std::vector<std::string>> ClaimPreliminary(PgConnection& conn, const std::vector<std::string>& pccs,
                                                          const PccWorkOptions& options);

// Give up this replica's claims (it is stopping): the others may take
// those PCCs at once.
absl::Status ReleaseLeases(PgConnection& conn, const PccWorkOptions& options);

}  // namespace tsodso::store
