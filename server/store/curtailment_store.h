// Curtailments and their notices' acknowledgements in PostgreSQL.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/curtailment/curtailment.h"
#include "store/pg.h"

namespace tsodso::store {

// Insert the curtailment inside an open transaction.
absl::Status InsertCurtailment(PgConnection& conn, const core::Curtailment& c);

// Record the notice sent to `aggregator` (its payload and event seq); a
// repeated call counts a redelivery.
absl::Status RecordNotice(PgConnection& conn, const std::string& curtailment_id, const std::string& aggregator,
                          const std::string& payload, int64_t seq);

struct Acknowledgement {
  absl::Time at;
  bool already = false;
};
// Acknowledge the notice addressed to `aggregator`; the first time counts.
// NOT_FOUND when there is none (also when the id is not a UUID).
absl::StatusOr<Acknowledgement> Acknowledge(PgConnection& conn, const std::string& curtailment_id,
                                            const std::string& aggregator, absl::Time now);

struct NoticeState {
  std::string aggregator;
  std::optional<absl::Time> acknowledged_at;
  int deliveries = 0;
};
struct CurtailmentRecord {
  std::string pcc_id;
  absl::Time from;
  absl::Time to;
  std::vector<NoticeState> notices;
};
// NOT_FOUND when there is no such curtailment.
absl::StatusOr<CurtailmentRecord> ReadCurtailment(PgConnection& conn, const std::string& curtailment_id);

struct OpenNotice {
  std::string curtailment_id;
  std::string pcc_id;
  std::string payload;
};
// The aggregator's notices not acknowledged, whose period has not ended at
// `now`, last sent at or before `seen_seq` (so already in its hands or
// past it).
absl::StatusOr<std::vector<OpenNotice>> OpenNotices(PgConnection& conn, const std::string& aggregator, absl::Time now,
                                                    int64_t seen_seq);

}  // namespace tsodso::store
