#include "api/services.h"

#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/subscribe_reactor.h"
#include "store/event_store.h"
#include "store/idempotency.h"
#include "store/notice_store.h"

namespace tsodso::api {
namespace {

std::string NewUuid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
                         b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

}  // namespace

grpc::ServerUnaryReactor* RegistryServiceImpl::WhoAmI(grpc::CallbackServerContext* call,
                                                      const v1::WhoAmIRequest* request, v1::WhoAmIResponse* response) {
  return RunUnary(ctx_, call, "/tsodso.v1.RegistryService/WhoAmI", request, response,
                  [this, response](const core::Party& party, store::PgConnection&) {
                    response->set_party_id(party.id);
                    response->set_role(ToProto(party.role));
                    response->set_certificate_identity(party.certificate_identity);
                    for (const core::Pcc* pcc : ctx_.registry->VisiblePccs(party)) response->add_pcc_ids(pcc->id);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* RegistryServiceImpl::ListPccs(grpc::CallbackServerContext* call,
                                                        const v1::ListPccsRequest* request,
                                                        v1::ListPccsResponse* response) {
  return RunUnary(ctx_, call, "/tsodso.v1.RegistryService/ListPccs", request, response,
                  [this, response](const core::Party& party, store::PgConnection&) {
                    for (const core::Pcc* pcc : ctx_.registry->VisiblePccs(party)) ToProto(*pcc, response->add_pccs());
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::PublishNotice(grpc::CallbackServerContext* call,
                                                             const v1::PublishNoticeRequest* request,
                                                             v1::PublishNoticeResponse* response) {
  static constexpr char kMethod[] = "/tsodso.v1.OperatorService/PublishNotice";
  return RunUnary(ctx_, call, kMethod, request, response,
                  [this, request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
                    if (auto st = core::RequireOperator(party, "PublishNotice"); !st.ok()) return st;
                    if (auto st = core::ValidateIdempotencyKey(request->idempotency_key()); !st.ok()) return st;
                    auto notice = core::MakeNotice(FromProto(*request), *ctx_.registry, party,
                                                   absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())), NewUuid());
                    if (!notice.ok()) return notice.status();

                    const store::IdempotencyKey key{party.id, kMethod, request->idempotency_key()};
                    const std::string digest = core::Sha256Hex(DeterministicBytes(*request));
                    auto earlier = store::ClaimIdempotencyKey(db, key, digest);
                    if (!earlier.ok()) return earlier.status();
                    if (earlier->has_value()) {
                      if (!response->ParseFromString(**earlier))
                        return absl::DataLossError("stored answer does not parse");
                      response->set_replayed(true);
                      return absl::OkStatus();
                    }

                    if (auto st = store::InsertNotice(db, *notice); !st.ok()) return st;
                    // Each per-PCC copy names only its own PCC: a party that sees one
                    // PCC must not learn which others the notice went to.
                    std::vector<core::EventDraft> drafts;
                    for (const core::Envelope& env : core::NoticeEnvelopes(*notice)) {
                      core::Notice copy = *notice;
                      if (!env.pcc_id.empty()) copy.pcc_ids = {env.pcc_id};
                      drafts.push_back({env, EncodeNoticePayload(copy)});
                    }
                    auto events = store::AppendEvents(db, drafts);
                    if (!events.ok()) return events.status();

                    response->set_notice_id(notice->id);
                    for (const auto& e : *events) response->add_event_seqs(e.seq);
                    return store::RememberResponse(db, key, digest, DeterministicBytes(*response));
                  });
}

grpc::ServerUnaryReactor* FlexibilityServiceImpl::GetFlexibility(grpc::CallbackServerContext* call,
                                                                 const v1::GetFlexibilityRequest* request,
                                                                 v1::GetFlexibilityResponse* response) {
  return RunUnary(
      ctx_, call, "/tsodso.v1.FlexibilityService/GetFlexibility", request, response,
      [this, request, response](const core::Party& party, store::PgConnection&) -> absl::Status {
        // A party learns nothing about PCCs it may not see, not even whether
        // they exist.
        if (!party.MaySeePcc(request->pcc_id())) {
          return absl::PermissionDeniedError(
              absl::StrCat("pcc_id: party '", party.id, "' may not see PCC '", request->pcc_id(), "'"));
        }
        if (ctx_.registry->FindPcc(request->pcc_id()) == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat("pcc_id: unknown PCC '", request->pcc_id(), "'"));
        }
        const absl::Time from = FromProto(request->from());
        const absl::Time to = FromProto(request->to());
        if (auto st = core::ValidateFlexWindow(from, to, request->include_vertices()); !st.ok()) return st;
        const std::shared_ptr<const core::FlexCatalog> catalog = ctx_.flex->Get();
        const core::FlexScenario* scenario = catalog->Find(request->pcc_id(), request->scenario());
        if (scenario == nullptr) {
          return request->scenario().empty()
                     ? absl::FailedPreconditionError(
                           absl::StrCat("pcc_id: no flexibility model is configured for PCC '", request->pcc_id(), "'"))
                     : absl::InvalidArgumentError(absl::StrCat("scenario: '", request->scenario(),
                                                               "' is not a scenario of PCC '", request->pcc_id(), "'"));
        }
        const auto intervals = core::ComputeRange(scenario->model, core::AlignDown(from, scenario->interval), to,
                                                  scenario->interval, request->include_vertices());
        // Aggregators see the PCC aggregate only: the class breakdown and the
        // area's shape describe other parties' portfolios.
        const bool aggregator = party.role == core::Role::kAggregator;
        if (aggregator && request->include_vertices()) {
          return absl::PermissionDeniedError("include_vertices: the area's vertices are for the TSO and the DSO");
        }
        std::string note;
        const bool breakdown = !aggregator && core::BreakdownAllowed(scenario->model, &note);
        response->set_pcc_id(request->pcc_id());
        response->set_scenario(scenario->name);
        response->set_interval_minutes(static_cast<int32_t>(absl::ToInt64Minutes(scenario->interval)));
        response->set_breakdown_note(note);
        for (const core::FlexInterval& f : intervals) {
          const auto classes = breakdown ? core::ByClass(scenario->model, f) : std::vector<core::ClassFlex>{};
          ToProto(f, request->include_vertices(), breakdown ? &classes : nullptr, response->add_intervals());
        }
        return absl::OkStatus();
      });
}

grpc::ServerWriteReactor<v1::Event>* FeedServiceImpl::Subscribe(grpc::CallbackServerContext* call,
                                                                const v1::SubscribeRequest* request) {
  return SubscribeReactor::Create(ctx_, call, *request);
}

}  // namespace tsodso::api
