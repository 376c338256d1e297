#include "service/curtailment.h"

#include "core/common/status_macros.h"
#include "service/once.h"
#include "service/traffic_lights.h"
#include "service/wire.h"
#include "store/event_store.h"

namespace tsodso::service {

absl::StatusOr<v1::IssueCurtailmentResponse> IssueCurtailment(store::PgConnection& db, const Context& ctx,
                                                              const Caller& caller, const std::string& idempotency_key,
                                                              const core::CurtailmentRequest& request) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  // A retry gets the first answer, even once the period has begun.
  return Once<v1::IssueCurtailmentResponse>(
      db, caller, "idempotency_key", idempotency_key, [&]() -> absl::StatusOr<v1::IssueCurtailmentResponse> {
        TSODSO_ASSIGN_OR_RETURN(
            const core::Curtailment c,
            core::MakeCurtailment(request, *dir->registry, dir->portfolios, caller.party, caller.now, NewUuid()));
        TSODSO_RETURN_IF_ERROR(store::InsertCurtailment(db, c));
        // Each affected aggregator its own orders; the TSO the summary.
        std::vector<core::EventDraft> drafts;
        std::vector<std::string> recipients;
        for (const auto& [aggregator, orders] : c.by_aggregator) {
          drafts.push_back({core::Envelope{core::Topic::kCurtailment, c.pcc_id, aggregator, 0},
                            EncodeCurtailmentPayload(c, aggregator)});
          recipients.push_back(aggregator);
        }
        drafts.push_back({core::Envelope{core::Topic::kCurtailment, c.pcc_id, "",
                                         core::RoleBit(core::Role::kTso) | core::RoleBit(core::Role::kDsoOperator)},
                          EncodeCurtailmentPayload(c, "")});
        // The red phase: direct action on the DERs for those ISPs.
        auto lights = UpdateLights(
            db, c.pcc_id, c.from, c.to,
            [](std::vector<core::IspLight>& isps) {
              for (core::IspLight& l : isps) l.intervention = true;
              return absl::OkStatus();
            },
            drafts);
        if (!lights.ok()) return lights.status();
        TSODSO_ASSIGN_OR_RETURN(const std::vector<core::StoredEvent> events, store::AppendEvents(db, drafts));
        for (size_t i = 0; i < recipients.size(); ++i) {
          TSODSO_RETURN_IF_ERROR(store::RecordNotice(db, c.id, recipients[i], events[i].payload, events[i].seq));
        }
        v1::IssueCurtailmentResponse answer;
        answer.set_curtailment_id(c.id);
        for (const core::StoredEvent& e : events) answer.add_event_seqs(e.seq);
        return answer;
      });
}

absl::StatusOr<store::CurtailmentRecord> CurtailmentStatus(store::PgConnection& db, const std::string& curtailment_id) {
  return store::ReadCurtailment(db, curtailment_id);
}

absl::StatusOr<store::Acknowledgement> AcknowledgeNotice(store::PgConnection& db, const Caller& caller,
                                                         const std::string& notice_id) {
  return store::Acknowledge(db, notice_id, caller.party.id, caller.now);
}

absl::Status RedeliverOpenNotices(store::PgConnection& db, const std::string& aggregator, absl::Time now,
                                  int64_t seen_seq) {
  TSODSO_ASSIGN_OR_RETURN(const std::vector<store::OpenNotice> open, store::OpenNotices(db, aggregator, now, seen_seq));
  if (open.empty()) return absl::OkStatus();
  std::vector<core::EventDraft> drafts;
  for (const store::OpenNotice& n : open) {
    v1::Event again;
    if (!again.ParseFromString(n.payload)) return absl::DataLossError("stored notice does not parse");
    again.mutable_curtailment()->set_redelivery(true);
    drafts.push_back({core::Envelope{core::Topic::kCurtailment, n.pcc_id, aggregator, 0}, DeterministicBytes(again)});
  }
  TSODSO_ASSIGN_OR_RETURN(const std::vector<core::StoredEvent> events, store::AppendEvents(db, drafts));
  for (size_t i = 0; i < open.size(); ++i) {
    TSODSO_RETURN_IF_ERROR(
        store::RecordNotice(db, open[i].curtailment_id, aggregator, events[i].payload, events[i].seq));
  }
  return absl::OkStatus();
}

}  // namespace tsodso::service
