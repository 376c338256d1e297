#include "api/services.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/subscribe_reactor.h"
#include "core/common/time.h"
#include "core/pcc/grid_check.h"
#include "core/pcc/validation_inputs.h"
#include "store/curtailment_store.h"
#include "store/event_store.h"
#include "store/forecast_store.h"
#include "store/idempotency.h"
#include "store/notice_store.h"
#include "store/prequalification_store.h"
#include "store/schedule_store.h"
#include "store/validation_store.h"

namespace tsodso::api {
namespace {

constexpr absl::Duration kMaxForecastWindow = absl::Hours(48);

// Claim the idempotency key; when it was used before by the same request,
// fill `response` with the stored answer marked as replayed and return true.
template <typename Response>
absl::StatusOr<bool> AnswerFromEarlier(store::PgConnection& db, const store::IdempotencyKey& key,
                                       const std::string& request_digest, Response* response) {
  auto earlier = store::ClaimIdempotencyKey(db, key, request_digest);
  if (!earlier.ok()) return earlier.status();
  if (!earlier->has_value()) return false;
  if (!response->ParseFromString(**earlier)) return absl::DataLossError("stored answer does not parse");
  response->set_replayed(true);
  return true;
}

// Turn the traffic-light changes of one PCC into public TRAFFIC_LIGHT
// events.
void AddLightChanges(const std::string& pcc_id, const std::vector<core::IspLight>& before,
                     const std::vector<core::IspLight>& after, std::vector<core::EventDraft>& drafts) {
  for (const core::LightPeriod& change : core::Changes(pcc_id, before, after)) {
    drafts.push_back(
        {core::Envelope{core::Topic::kTrafficLight, pcc_id, "", core::kAllRoles}, EncodeTrafficLightPayload(change)});
  }
}

// A party learns nothing about PCCs it may not see, not even whether they
// exist.
absl::Status CheckVisiblePcc(const core::Party& party, const core::PartyRegistry& registry, const std::string& pcc_id,
                             const char* field) {
  if (!party.MaySeePcc(pcc_id)) {
    return absl::PermissionDeniedError(absl::StrCat(field, ": party '", party.id, "' may not see PCC '", pcc_id, "'"));
  }
  if (registry.FindPcc(pcc_id) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": unknown PCC '", pcc_id, "'"));
  }
  return absl::OkStatus();
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
                    auto replayed = AnswerFromEarlier(db, key, digest, response);
                    if (!replayed.ok() || *replayed) return replayed.status();

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
  return RunComputed(
      ctx_, call, "/tsodso.v1.FlexibilityService/GetFlexibility", request, response,
      [this, request, response](const core::Party& party) -> absl::Status {
        if (auto st = CheckVisiblePcc(party, *ctx_.registry, request->pcc_id(), "pcc_id"); !st.ok()) return st;
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
        // Aggregators see the PCC aggregate only: the class breakdown, the
        // area's shape and the schedules describe other parties' portfolios.
        const bool aggregator = party.role == core::Role::kAggregator;
        const absl::Time first = core::AlignDown(from, scenario->interval);
        const core::PccNetwork* net = ctx_.grids->Find(request->pcc_id());
        std::vector<core::PlacedBaseline> placed;
        if (!aggregator) {
          // Placed on the network only when the grid-limited figures need it.
          const core::PccNetwork* place_on = request->include_grid_limited() ? net : nullptr;
          auto read = ctx_.pool->Run<std::vector<core::PlacedBaseline>>([&](store::PgConnection& db) {
            return store::ReadPlacedSchedules(db, request->pcc_id(), first, to, absl::Now(), *ctx_.grids, place_on);
          });
          if (!read.ok()) return read.status();
          placed = std::move(*read);
        }
        const core::PccBaseline baseline = core::SumBaselines(placed);
        const auto intervals =
            core::ComputeRange(scenario->model, first, to, scenario->interval, request->include_vertices(), &baseline);
        if (aggregator && request->include_vertices()) {
          return absl::PermissionDeniedError("include_vertices: the area's vertices are for the TSO and the DSO");
        }
        std::string note;
        const bool breakdown = !aggregator && core::BreakdownAllowed(scenario->model, &note);
        response->set_pcc_id(request->pcc_id());
        response->set_scenario(scenario->name);
        response->set_interval_minutes(static_cast<int32_t>(absl::ToInt64Minutes(scenario->interval)));
        response->set_breakdown_note(note);
        if (request->include_grid_limited()) {
          // What the DSO's network allows is for the TSO (DESIGN: parties).
          if (aggregator) {
            return absl::PermissionDeniedError(
                "include_grid_limited: the grid-limited figures are for the TSO and the DSO");
          }
          if (to - from > core::kMaxGridLimitedWindow) {
            return absl::InvalidArgumentError(absl::StrCat(
                "include_grid_limited: given for at most 48 hours; the window is ", absl::FormatDuration(to - from)));
          }
          if (net == nullptr) {
            return absl::FailedPreconditionError(
                absl::StrCat("include_grid_limited: the DSO has no network model for PCC '", request->pcc_id(), "'"));
          }
        }
        for (const core::FlexInterval& f : intervals) {
          const auto classes = breakdown ? core::ByClass(scenario->model, f) : std::vector<core::ClassFlex>{};
          v1::FlexibilityInterval* out = response->add_intervals();
          ToProto(f, request->include_vertices(), breakdown ? &classes : nullptr, out);
          if (!request->include_grid_limited()) continue;
          if (ctx_.stopping.stop_requested()) return absl::UnavailableError(kStoppingMessage);
          auto grid = core::GridLimitedAt(*net, scenario->model, f.start, scenario->interval, {}, placed);
          // A failure here is the DSO's own model, never the caller's request.
          if (!grid.ok()) return absl::InternalError(absl::StrCat("grid-limited area: ", grid.status().ToString()));
          ToProto(*grid, request->include_vertices(), out->mutable_grid_limited());
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ForecastServiceImpl::GetForecast(grpc::CallbackServerContext* call,
                                                           const v1::GetForecastRequest* request,
                                                           v1::Forecast* response) {
  // The stored issue comes from a database worker; reading the measured
  // load (a file) and the intervals' arithmetic stay off it.
  return RunComputed(
      ctx_, call, "/tsodso.v1.ForecastService/GetForecast", request, response,
      [this, request, response](const core::Party& party) -> absl::Status {
        if (request->kind() != v1::FORECAST_KIND_DAY_AHEAD && request->kind() != v1::FORECAST_KIND_INTRADAY) {
          return absl::InvalidArgumentError(
              absl::StrCat("kind: ", request->kind(), " is not FORECAST_KIND_DAY_AHEAD or FORECAST_KIND_INTRADAY"));
        }
        if (auto st = CheckVisiblePcc(party, *ctx_.registry, request->pcc_id(), "pcc_id"); !st.ok()) return st;
        if (!request->has_from() || !request->has_to()) {
          return absl::InvalidArgumentError(request->has_from() ? "to: required" : "from: required");
        }
        const absl::Time from = FromProto(request->from());
        const absl::Time to = FromProto(request->to());
        if (from >= to) {
          return absl::InvalidArgumentError(
              absl::StrCat("from: ", core::Rfc3339(from), " is not before to ", core::Rfc3339(to)));
        }
        if (to - from > kMaxForecastWindow) {
          return absl::InvalidArgumentError(absl::StrCat("to: the window ", absl::FormatDuration(to - from),
                                                         " is longer than the limit of 48 hours"));
        }
        const absl::Time now = absl::Now();
        const absl::Time as_of = request->has_as_of() ? FromProto(request->as_of()) : now;
        auto stored = ctx_.pool->Run<std::optional<store::StoredForecast>>([&](store::PgConnection& db) {
          return store::LatestForecast(db, request->pcc_id(), request->kind(), as_of);
        });
        if (!stored.ok()) return stored.status();
        if (!stored->has_value()) {
          return absl::NotFoundError(absl::StrCat("no ", v1::ForecastKind_Name(request->kind()), " forecast of PCC '",
                                                  request->pcc_id(), "' was issued by ", core::Rfc3339(as_of)));
        }
        v1::Forecast all;
        if (!all.ParseFromString((*stored)->body)) return absl::DataLossError("stored forecast does not parse");
        *response = all;
        response->clear_intervals();
        // Intervals that have passed get the exchange as measured: the
        // measured load with the DERs' production and the schedules (where
        // the load is missing, nothing).
        const std::shared_ptr<const core::FlexCatalog> flex = ctx_.flex->Get();
        const core::FlexScenario* scenario = flex->Find(request->pcc_id(), core::kCurrentScenario);
        std::optional<core::Series> measured;
        if (scenario != nullptr && ctx_.load_history && from < now) {
          auto read = ctx_.load_history(*scenario, core::AlignDown(from, core::kIsp), std::min(to, now));
          if (read.ok()) measured = std::move(read->series);
        }
        for (const v1::ForecastInterval& i : all.intervals()) {
          const absl::Time start = FromProto(i.start());
          const absl::Time end = FromProto(i.end());
          if (end <= from || start >= to) continue;
          v1::ForecastInterval* out = response->add_intervals();
          *out = i;
          const double load = measured && end <= now ? measured->At(start) : std::nan("");
          if (std::isfinite(load)) {
            const core::FlexInterval f = core::ComputeInterval(scenario->model, start, end - start, false);
            const double injection = core::PccLoadAt(scenario->model, start, end - start).p - f.operating.p;
            out->set_measured_p_mw(load - injection + i.scheduled_p_mw());
          }
        }
        if (party.role == core::Role::kAggregator) WithoutSchedules(response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::DeclareIntervention(grpc::CallbackServerContext* call,
                                                                   const v1::DeclareInterventionRequest* request,
                                                                   v1::DeclareInterventionResponse* response) {
  static constexpr char kMethod[] = "/tsodso.v1.OperatorService/DeclareIntervention";
  return RunUnary(ctx_, call, kMethod, request, response,
                  [this, request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
                    if (auto st = core::RequireOperator(party, "DeclareIntervention"); !st.ok()) return st;
                    if (auto st = core::ValidateIdempotencyKey(request->idempotency_key()); !st.ok()) return st;
                    // A retry gets the first answer, even once the period has passed.
                    const store::IdempotencyKey key{party.id, kMethod, request->idempotency_key()};
                    const std::string digest = core::Sha256Hex(DeterministicBytes(*request));
                    auto replayed = AnswerFromEarlier(db, key, digest, response);
                    if (!replayed.ok() || *replayed) return replayed.status();
                    const std::string& pcc = request->pcc_id();
                    if (ctx_.registry->FindPcc(pcc) == nullptr) {
                      return absl::InvalidArgumentError(absl::StrCat("pcc_id: unknown PCC '", pcc, "'"));
                    }
                    const absl::Time from = FromProto(request->from());
                    const absl::Time to = FromProto(request->to());
                    if (auto st = core::CheckUpcomingIspWindow(from, to, absl::Now()); !st.ok()) return st;
                    if (auto st = store::InsertIntervention(db, party.id, request->idempotency_key(), pcc, from, to,
                                                            request->lift());
                        !st.ok()) {
                      return st;
                    }
                    auto before = store::LockLights(db, pcc, from, to);
                    if (!before.ok()) return before.status();
                    std::vector<core::IspLight> after = *before;
                    for (core::IspLight& l : after) l.intervention = !request->lift();
                    if (auto st = store::SaveLights(db, pcc, after); !st.ok()) return st;
                    std::vector<core::EventDraft> drafts;
                    AddLightChanges(pcc, *before, after, drafts);
                    auto events = store::AppendEvents(db, drafts);
                    if (!events.ok()) return events.status();
                    for (const auto& e : *events) response->add_event_seqs(e.seq);
                    return store::RememberResponse(db, key, digest, DeterministicBytes(*response));
                  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::IssueCurtailment(grpc::CallbackServerContext* call,
                                                                const v1::IssueCurtailmentRequest* request,
                                                                v1::IssueCurtailmentResponse* response) {
  static constexpr char kMethod[] = "/tsodso.v1.OperatorService/IssueCurtailment";
  return RunUnary(
      ctx_, call, kMethod, request, response,
      [this, request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
        if (auto st = core::RequireOperator(party, "IssueCurtailment"); !st.ok()) return st;
        if (auto st = core::ValidateIdempotencyKey(request->idempotency_key()); !st.ok()) return st;
        // A retry gets the first answer, even once the period has begun.
        const store::IdempotencyKey key{party.id, kMethod, request->idempotency_key()};
        const std::string digest = core::Sha256Hex(DeterministicBytes(*request));
        auto replayed = AnswerFromEarlier(db, key, digest, response);
        if (!replayed.ok() || *replayed) return replayed.status();
        const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
        auto c = core::MakeCurtailment(FromProto(*request), *ctx_.registry, ctx_.portfolios, party, now, NewUuid());
        if (!c.ok()) return c.status();

        if (auto st = store::InsertCurtailment(db, *c); !st.ok()) return st;
        // Each affected aggregator its own orders; the TSO the summary.
        std::vector<core::EventDraft> drafts;
        std::vector<std::string> recipients;
        for (const auto& [aggregator, orders] : c->by_aggregator) {
          drafts.push_back({core::Envelope{core::Topic::kCurtailment, c->pcc_id, aggregator, 0},
                            EncodeCurtailmentPayload(*c, aggregator)});
          recipients.push_back(aggregator);
        }
        drafts.push_back({core::Envelope{core::Topic::kCurtailment, c->pcc_id, "",
                                         core::RoleBit(core::Role::kTso) | core::RoleBit(core::Role::kDsoOperator)},
                          EncodeCurtailmentPayload(*c, "")});
        // The red phase: direct action on the DERs for those ISPs.
        auto before = store::LockLights(db, c->pcc_id, c->from, c->to);
        if (!before.ok()) return before.status();
        std::vector<core::IspLight> after = *before;
        for (core::IspLight& l : after) l.intervention = true;
        if (auto st = store::SaveLights(db, c->pcc_id, after); !st.ok()) return st;
        AddLightChanges(c->pcc_id, *before, after, drafts);
        auto events = store::AppendEvents(db, drafts);
        if (!events.ok()) return events.status();
        for (size_t i = 0; i < recipients.size(); ++i) {
          if (auto st = store::RecordNotice(db, c->id, recipients[i], (*events)[i].payload, (*events)[i].seq);
              !st.ok()) {
            return st;
          }
        }
        response->set_curtailment_id(c->id);
        for (const auto& e : *events) response->add_event_seqs(e.seq);
        return store::RememberResponse(db, key, digest, DeterministicBytes(*response));
      });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::GetCurtailmentStatus(grpc::CallbackServerContext* call,
                                                                    const v1::GetCurtailmentStatusRequest* request,
                                                                    v1::CurtailmentStatus* response) {
  return RunUnary(ctx_, call, "/tsodso.v1.OperatorService/GetCurtailmentStatus", request, response,
                  [request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
                    if (auto st = core::RequireOperator(party, "GetCurtailmentStatus"); !st.ok()) return st;
                    auto record = store::ReadCurtailment(db, request->curtailment_id());
                    if (!record.ok()) return record.status();
                    response->set_curtailment_id(request->curtailment_id());
                    response->set_pcc_id(record->pcc_id);
                    ToProto(record->from, response->mutable_from());
                    ToProto(record->to, response->mutable_to());
                    for (const store::NoticeState& n : record->notices) {
                      auto* r = response->add_recipients();
                      r->set_aggregator(n.aggregator);
                      r->set_acknowledged(n.acknowledged_at.has_value());
                      if (n.acknowledged_at) ToProto(*n.acknowledged_at, r->mutable_acknowledged_at());
                      r->set_deliveries(n.deliveries);
                    }
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* CurtailmentServiceImpl::AcknowledgeNotice(grpc::CallbackServerContext* call,
                                                                    const v1::AcknowledgeNoticeRequest* request,
                                                                    v1::AcknowledgeNoticeResponse* response) {
  return RunUnary(ctx_, call, "/tsodso.v1.CurtailmentService/AcknowledgeNotice", request, response,
                  [request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
                    if (auto st = core::RequireRole(party, core::Role::kAggregator, "AcknowledgeNotice"); !st.ok())
                      return st;
                    auto ack = store::Acknowledge(db, request->notice_id(), party.id,
                                                  absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())));
                    if (!ack.ok()) return ack.status();
                    response->set_notice_id(request->notice_id());
                    ToProto(ack->at, response->mutable_acknowledged_at());
                    response->set_already_acknowledged(ack->already);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* BidValidationServiceImpl::ValidateMeritOrder(grpc::CallbackServerContext* call,
                                                                       const v1::ValidateMeritOrderRequest* request,
                                                                       v1::MeritOrderValidation* response) {
  static constexpr char kMethod[] = "/tsodso.v1.BidValidationService/ValidateMeritOrder";
  return RunUnary(ctx_, call, kMethod, request, response,
                  [this, request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
                    if (auto st = core::RequireRole(party, core::Role::kTso, "ValidateMeritOrder"); !st.ok()) return st;
                    if (auto st = core::ValidateClientKey("validation_id", request->validation_id()); !st.ok())
                      return st;
                    // The validation id is the idempotency key. A re-sent list gets the
                    // stored answer, even once its ISP has ended.
                    const store::IdempotencyKey key{party.id, kMethod, request->validation_id()};
                    const std::string digest = core::Sha256Hex(DeterministicBytes(*request));
                    auto replayed = AnswerFromEarlier(db, key, digest, response);
                    if (!replayed.ok() || *replayed) return replayed.status();

                    const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
                    auto mol = core::CheckMeritOrderList(FromProto(*request), *ctx_.registry, party, now);
                    if (!mol.ok()) return mol.status();
                    auto inputs = core::ValidationInputs(*mol, *ctx_.grids, *ctx_.flex->Get());
                    if (!inputs.ok()) return inputs.status();
                    // Who owns which resource, and until when, is what prequalification
                    // decided; where it sits, the DSO's registry.
                    std::vector<std::string> resource_ids;
                    for (const core::Bid& b : mol->bids)
                      resource_ids.insert(resource_ids.end(), b.resource_ids.begin(), b.resource_ids.end());
                    auto qualifications = store::ReadQualifications(db, resource_ids);
                    if (!qualifications.ok()) return qualifications.status();
                    const std::vector<core::MolLine> lines =
                        core::ValidateList(*mol, core::BookOf(*ctx_.grids, *qualifications), *inputs);

                    response->set_validation_id(mol->validation_id);
                    response->set_direction(request->direction());
                    ToProto(mol->isp_start, response->mutable_isp_start());
                    ToProto(mol->isp_start + core::kIsp, response->mutable_isp_end());
                    ToProto(now, response->mutable_validated_at());
                    for (const core::MolLine& l : lines) ToProto(l, response->add_results());

                    // Traffic lights first, so that every event carries the state after
                    // this validation.
                    std::vector<core::EventDraft> light_drafts;
                    std::map<std::string, v1::TrafficLight> light_of;
                    for (const auto& [pcc, in] : *inputs) {
                      auto before = store::LockLights(db, pcc, mol->isp_start, mol->isp_start + core::kIsp);
                      if (!before.ok()) return before.status();
                      std::vector<core::IspLight> after = *before;
                      after[0].ForDirection(mol->direction) = core::LightFromLines(lines, pcc);
                      if (auto st = store::SaveLights(db, pcc, after); !st.ok()) return st;
                      AddLightChanges(pcc, *before, after, light_drafts);
                      ToProto(core::MergePeriods(pcc, after).front(), &light_of[pcc]);
                      *response->add_traffic_lights() = light_of[pcc];
                    }

                    // BID_LIMITS: per PCC, every line for the TSO that asked; per PCC and
                    // BSP, that BSP's lines for it alone.
                    std::vector<core::EventDraft> drafts;
                    for (const core::LineShare& share : core::ShareLines(lines, party.id, *ctx_.registry)) {
                      v1::MeritOrderValidation part = *response;
                      part.clear_results();
                      part.clear_traffic_lights();
                      if (share.with_light) *part.add_traffic_lights() = light_of.at(share.pcc_id);
                      for (size_t i : share.lines) *part.add_results() = response->results(static_cast<int>(i));
                      drafts.push_back({core::Envelope{core::Topic::kBidLimits, share.pcc_id, share.recipient, 0},
                                        EncodeBidLimitsPayload(part)});
                    }
                    drafts.insert(drafts.end(), light_drafts.begin(), light_drafts.end());

                    if (auto st = store::InsertMolValidation(
                            db, {mol->validation_id, party.id, mol->isp_start, request->direction(),
                                 DeterministicBytes(*request), DeterministicBytes(*response)});
                        !st.ok()) {
                      return st;
                    }
                    auto events = store::AppendEvents(db, drafts);
                    if (!events.ok()) return events.status();
                    return store::RememberResponse(db, key, digest, DeterministicBytes(*response));
                  });
}

grpc::ServerUnaryReactor* BidValidationServiceImpl::GetTrafficLights(grpc::CallbackServerContext* call,
                                                                     const v1::GetTrafficLightsRequest* request,
                                                                     v1::GetTrafficLightsResponse* response) {
  return RunUnary(ctx_, call, "/tsodso.v1.BidValidationService/GetTrafficLights", request, response,
                  [this, request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
                    if (auto st = CheckVisiblePcc(party, *ctx_.registry, request->pcc_id(), "pcc_id"); !st.ok())
                      return st;
                    const absl::Time from = FromProto(request->from());
                    const absl::Time to = FromProto(request->to());
                    if (auto st = core::CheckIspWindow(from, to); !st.ok()) return st;
                    auto lights = store::ReadLights(db, request->pcc_id(), from, to);
                    if (!lights.ok()) return lights.status();
                    for (const core::LightPeriod& p : core::MergePeriods(request->pcc_id(), *lights)) {
                      ToProto(p, response->add_lights());
                    }
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* ScheduleServiceImpl::SubmitSchedule(grpc::CallbackServerContext* call,
                                                              const v1::SubmitScheduleRequest* request,
                                                              v1::ScheduleReceipt* response) {
  static constexpr char kMethod[] = "/tsodso.v1.ScheduleService/SubmitSchedule";
  return RunUnary(
      ctx_, call, kMethod, request, response,
      [this, request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
        if (auto st = core::RequireRole(party, core::Role::kAggregator, "SubmitSchedule"); !st.ok()) return st;
        if (auto st = core::ValidateIdempotencyKey(request->idempotency_key()); !st.ok()) return st;
        // A retry gets its receipt, even once the horizon has moved on.
        const store::IdempotencyKey key{party.id, kMethod, request->idempotency_key()};
        const std::string digest = core::Sha256Hex(DeterministicBytes(*request));
        auto replayed = AnswerFromEarlier(db, key, digest, response);
        if (!replayed.ok() || *replayed) return replayed.status();
        std::vector<core::IntervalProblem> problems;
        auto schedule = core::CheckSchedule(FromProto(*request), ctx_.portfolios, party, absl::Now(),
                                            ctx_.schedule_horizon, &problems);
        if (!schedule.ok()) {
          // Bad intervals come back as a rejected receipt too, every one
          // named, in the status details.
          absl::Status st = schedule.status();
          if (!problems.empty()) {
            st.SetPayload(kScheduleReceiptTypeUrl, absl::Cord(RejectedReceipt(*request, problems).SerializeAsString()));
          }
          return st;
        }

        // Where the DSO has the network: would the schedule break a limit?
        // Placed at the aggregator's qualified assets below the PCC; worked
        // out before the portfolio is locked.
        std::vector<core::ScheduleBreach> breaches;
        const core::PccNetwork* net = ctx_.grids->Find(schedule->pcc_id);
        const std::shared_ptr<const core::FlexCatalog> flex = ctx_.flex->Get();
        const core::FlexScenario* scenario = flex->Find(schedule->pcc_id, core::kCurrentScenario);
        if (net != nullptr && scenario != nullptr) {
          auto qualified = store::QualifiedAssetsOf(db, party.id, absl::Now());
          if (!qualified.ok()) return qualified.status();
          breaches =
              core::ScheduleBreaches(*net, scenario->model, *schedule, core::BusesOf(*ctx_.grids, *net, *qualified));
        }

        auto latest = store::LockScheduleHead(db, schedule->portfolio_id);
        if (!latest.ok()) return latest.status();
        if (schedule->revision <= *latest) {
          return absl::FailedPreconditionError(absl::StrCat("revision: ", schedule->revision,
                                                            " is not after the latest revision ", *latest,
                                                            " of portfolio '", schedule->portfolio_id, "'"));
        }
        // Taken under the portfolio's lock, so revisions are received in
        // order and "as received at T" finds the right one.
        const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
        response->set_portfolio_id(schedule->portfolio_id);
        response->set_pcc_id(schedule->pcc_id);
        response->set_revision(schedule->revision);
        response->set_status(breaches.empty() ? v1::RECEIPT_STATUS_ACCEPTED
                                              : v1::RECEIPT_STATUS_ACCEPTED_WITH_WARNINGS);
        for (const core::ScheduleBreach& b : breaches) {
          v1::ScheduleWarning* w = response->add_warnings();
          ToProto(b.start, w->mutable_interval_start());
          w->set_reason(b.reason == core::BidReason::kThermalLimit ? v1::SCHEDULE_WARNING_REASON_THERMAL_LIMIT
                                                                   : v1::SCHEDULE_WARNING_REASON_VOLTAGE_LIMIT);
        }
        ToProto(now, response->mutable_received_at());
        ToProto(schedule->intervals.front().start, response->mutable_start());
        ToProto(schedule->end(), response->mutable_end());
        response->set_interval_count(static_cast<int32_t>(schedule->intervals.size()));
        const std::string receipt = DeterministicBytes(*response);
        if (auto st = store::InsertSchedule(db, *schedule, now, receipt); !st.ok()) return st;
        // The receipt is the aggregator's own: addressed to it alone.
        std::vector<core::EventDraft> drafts = {
            {core::Envelope{core::Topic::kReceipt, schedule->pcc_id, party.id, 0}, EncodeReceiptPayload(*response)}};

        // The traffic light follows every portfolio's latest schedule: this
        // revision replaces the portfolio's breaches from now on, over both
        // the ISPs it covers and those the previous one had flagged.
        if (net != nullptr) {
          const absl::Time since = core::AlignDown(now, core::kIsp);
          absl::Time from = core::AlignDown(schedule->intervals.front().start, core::kIsp);
          absl::Time to = core::AlignDown(schedule->end() - absl::Seconds(1), core::kIsp) + core::kIsp;
          auto old = store::ScheduleBreachSpan(db, schedule->pcc_id, schedule->portfolio_id, since);
          if (!old.ok()) return old.status();
          if (old->has_value()) {
            from = std::min(from, (*old)->first);
            to = std::max(to, (*old)->second);
          }
          std::map<absl::Time, core::LightReason> by_isp;
          for (const core::ScheduleBreach& b : breaches) {
            const core::LightReason reason = b.reason == core::BidReason::kThermalLimit
                                                 ? core::LightReason::kThermalLimit
                                                 : core::LightReason::kVoltageLimit;
            for (absl::Time isp : core::IspsOf(b.start, schedule->resolution)) {
              by_isp[isp] = std::max(by_isp[isp], reason);
            }
          }
          auto before = store::LockLights(db, schedule->pcc_id, from, to);
          if (!before.ok()) return before.status();
          auto lights =
              store::ReplaceScheduleBreaches(db, schedule->pcc_id, schedule->portfolio_id, since, from, to, by_isp);
          if (!lights.ok()) return lights.status();
          std::vector<core::IspLight> after = *before;
          for (core::IspLight& l : after) l.schedules = (*lights)[l.isp_start];
          if (auto st = store::SaveLights(db, schedule->pcc_id, after); !st.ok()) return st;
          AddLightChanges(schedule->pcc_id, *before, after, drafts);
        }
        // The answer is remembered before the events are appended: the
        // event counter, locked from then until COMMIT, is taken last.
        if (auto st = store::RememberResponse(db, key, digest, receipt); !st.ok()) return st;
        return store::AppendEvents(db, drafts).status();
      });
}

grpc::ServerUnaryReactor* ScheduleServiceImpl::GetSchedule(grpc::CallbackServerContext* call,
                                                           const v1::GetScheduleRequest* request,
                                                           v1::GetScheduleResponse* response) {
  return RunUnary(
      ctx_, call, "/tsodso.v1.ScheduleService/GetSchedule", request, response,
      [this, request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
        const core::Portfolio* portfolio = core::FindPortfolio(ctx_.portfolios, request->portfolio_id());
        // A schedule is private to the aggregator that made it (and the
        // DSO); nobody learns whether others' portfolios exist.
        const bool allowed =
            portfolio != nullptr && (party.role == core::Role::kDsoOperator || portfolio->aggregator == party.id);
        if (!allowed) {
          return absl::PermissionDeniedError(absl::StrCat("portfolio_id: party '", party.id,
                                                          "' may not read portfolio '", request->portfolio_id(), "'"));
        }
        if (request->revision() < 0) {
          return absl::InvalidArgumentError(absl::StrCat("revision: ", request->revision(), " is negative"));
        }
        const absl::Time as_of = request->has_as_of() ? FromProto(request->as_of()) : absl::Now();
        auto stored = store::ReadSchedule(db, portfolio->id, request->revision(), as_of);
        if (!stored.ok()) return stored.status();
        const core::Schedule& s = stored->schedule;
        response->set_portfolio_id(s.portfolio_id);
        response->set_pcc_id(s.pcc_id);
        response->set_revision(s.revision);
        response->set_resolution_minutes(static_cast<int32_t>(absl::ToInt64Minutes(s.resolution)));
        ToProto(stored->received_at, response->mutable_received_at());
        response->set_submitted_by(s.submitted_by);
        for (const core::ScheduleValue& v : s.intervals) ToProto(v, response->add_intervals());
        response->set_latest_revision(stored->latest_revision);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* PrequalificationServiceImpl::RequestPrequalification(
    grpc::CallbackServerContext* call, const v1::PrequalificationRequest* request,
    v1::PrequalificationResponse* response) {
  static constexpr char kMethod[] = "/tsodso.v1.PrequalificationService/RequestPrequalification";
  return RunUnary(
      ctx_, call, kMethod, request, response,
      [this, request, response](const core::Party& party, store::PgConnection& db) -> absl::Status {
        if (auto st = core::RequireRole(party, core::Role::kAggregator, "RequestPrequalification"); !st.ok()) return st;
        if (auto st = core::ValidateIdempotencyKey(request->idempotency_key()); !st.ok()) return st;
        const std::vector<core::AssetClaim> claims = FromProto(*request);
        if (auto st = core::CheckClaims(claims, party, *ctx_.registry); !st.ok()) return st;

        const store::IdempotencyKey key{party.id, kMethod, request->idempotency_key()};
        const std::string digest = core::Sha256Hex(DeterministicBytes(*request));
        auto replayed = AnswerFromEarlier(db, key, digest, response);
        if (!replayed.ok() || *replayed) return replayed.status();

        std::vector<std::string> ids;
        for (const core::AssetClaim& c : claims) ids.push_back(c.id);
        if (auto st = store::LockAssets(db, ids); !st.ok()) return st;
        auto standing = store::ReadQualifications(db, ids);
        if (!standing.ok()) return standing.status();
        const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
        std::vector<core::EventDraft> drafts;
        const core::RoleMask tso_audience = core::RoleBit(core::Role::kTso) | core::RoleBit(core::Role::kDsoOperator);
        for (const core::AssetClaim& claim : claims) {
          auto reg = ctx_.grids->assets.find(claim.id);
          auto st = standing->find(claim.id);
          const core::AssetDecision d = core::Decide(claim, reg == ctx_.grids->assets.end() ? nullptr : &reg->second,
                                                     st == standing->end() ? std::nullopt : std::optional(st->second),
                                                     party, now, ctx_.qualification_validity);
          if (auto saved = store::SaveDecision(db, party.id, d, now); !saved.ok()) return saved;
          v1::AssetQualification* out = response->add_results();
          ToProto(d, claim.pcc_id, party.id, out);
          drafts.push_back({core::Envelope{core::Topic::kPrequalification, claim.pcc_id, "", tso_audience},
                            EncodePrequalificationPayload(*out)});
        }
        ToProto(now, response->mutable_decided_at());
        auto events = store::AppendEvents(db, drafts);
        if (!events.ok()) return events.status();
        return store::RememberResponse(db, key, digest, DeterministicBytes(*response));
      });
}

grpc::ServerWriteReactor<v1::Event>* FeedServiceImpl::Subscribe(grpc::CallbackServerContext* call,
                                                                const v1::SubscribeRequest* request) {
  grpc::ServerWriteReactor<v1::Event>* reactor = SubscribeReactor::Create(ctx_, call, *request);
  // An aggregator that comes back without having acknowledged a curtailment
  // notice it has seen gets it again, as a new event behind its replay.
  auto party = CallerParty(*call, *ctx_.identities);
  if (party.ok() && (*party)->role == core::Role::kAggregator) {
    const std::string aggregator = (*party)->id;
    const int64_t seen = request->resume_after_seq();
    ctx_.pool->Post([aggregator, seen](absl::StatusOr<store::PgConnection*> conn) {
      if (!conn.ok()) return;  // the next subscription tries again
      absl::Status st = store::InTransaction(**conn, [&]() -> absl::Status {
        auto open = store::OpenNotices(**conn, aggregator, absl::Now(), seen);
        if (!open.ok() || open->empty()) return open.status();
        std::vector<core::EventDraft> drafts;
        for (const store::OpenNotice& n : *open) {
          v1::Event again;
          if (!again.ParseFromString(n.payload)) return absl::DataLossError("stored notice does not parse");
          again.mutable_curtailment()->set_redelivery(true);
          drafts.push_back(
              {core::Envelope{core::Topic::kCurtailment, n.pcc_id, aggregator, 0}, DeterministicBytes(again)});
        }
        auto events = store::AppendEvents(**conn, drafts);
        if (!events.ok()) return events.status();
        for (size_t i = 0; i < open->size(); ++i) {
          auto st = store::RecordNotice(**conn, (*open)[i].curtailment_id, aggregator, (*events)[i].payload,
                                        (*events)[i].seq);
          if (!st.ok()) return st;
        }
        return absl::OkStatus();
      });
      if (!st.ok()) spdlog::warn("redelivering curtailment notices to {}: {}", aggregator, std::string(st.message()));
    });
  }
  return reactor;
}

}  // namespace tsodso::api
