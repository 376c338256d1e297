#include "service/notices.h"

#include "core/common/status_macros.h"
#include "service/once.h"
#include "service/wire.h"
#include "store/event_store.h"
#include "store/notice_store.h"

namespace tsodso::service {

absl::StatusOr<v1::PublishNoticeResponse> PublishNotice(store::PgConnection& db, const Context& ctx,
                                                        const Caller& caller, const std::string& idempotency_key,
                                                        const core::NoticeRequest& request) {
  const std::shared_ptr<const Directory> dir = ctx.directory();
  return Once<v1::PublishNoticeResponse>(
      db, caller, "idempotency_key", idempotency_key, [&]() -> absl::StatusOr<v1::PublishNoticeResponse> {
        TSODSO_ASSIGN_OR_RETURN(const core::Notice notice,
                                core::MakeNotice(request, *dir->registry, caller.party, caller.now, NewUuid()));
        TSODSO_RETURN_IF_ERROR(store::InsertNotice(db, notice));
        // Each per-PCC copy names only its own PCC: a party that sees one PCC
        // must not learn which others the notice went to.
        std::vector<core::EventDraft> drafts;
        for (const core::Envelope& env : core::NoticeEnvelopes(notice)) {
          core::Notice copy = notice;
          if (!env.pcc_id.empty()) copy.pcc_ids = {env.pcc_id};
          drafts.push_back({env, EncodeNoticePayload(copy)});
        }
        TSODSO_ASSIGN_OR_RETURN(const std::vector<core::StoredEvent> events, store::AppendEvents(db, drafts));
        v1::PublishNoticeResponse answer;
        answer.set_notice_id(notice.id);
        for (const core::StoredEvent& e : events) answer.add_event_seqs(e.seq);
        return answer;
      });
}

}  // namespace tsodso::service
