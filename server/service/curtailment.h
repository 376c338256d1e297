// Curtailment: the operator's orders to aggregators' DERs at a PCC, their
// notices, acknowledgements and redelivery until acknowledged.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/curtailment/curtailment.h"
#include "service/context.h"
#include "store/curtailment_store.h"
#include "store/pg.h"
#include "tsodso/v1/operator.pb.h"

namespace tsodso::service {

// Issue a curtailment once per key: each affected aggregator gets its own
// orders, the TSO the PCC-level summary, and the ISPs turn red.
absl::StatusOr<v1::IssueCurtailmentResponse> IssueCurtailment(store::PgConnection& db, const Context& ctx,
                                                              const Caller& caller, const std::string& idempotency_key,
                                                              const core::CurtailmentRequest& request);

// Who a curtailment went to and who has acknowledged it.
absl::StatusOr<store::CurtailmentRecord> CurtailmentStatus(store::PgConnection& db, const std::string& curtailment_id);

// The calling aggregator acknowledges its notice; the first time counts.
absl::StatusOr<store::Acknowledgement> AcknowledgeNotice(store::PgConnection& db, const Caller& caller,
                                                         const std::string& notice_id);

// An aggregator that comes back without having acknowledged a curtailment
// notice it has seen (at or before `seen_seq`) gets it again, as a new
// event marked as a redelivery.
absl::Status RedeliverOpenNotices(store::PgConnection& db, const std::string& aggregator, absl::Time now,
                                  int64_t seen_seq);

}  // namespace tsodso::service
