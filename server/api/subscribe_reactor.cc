#include "api/subscribe_reactor.h"

#include <grpc/grpc.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/dispatch.h"
#include "feed/feed_metrics.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "service/curtailment.h"
#include "service/wire.h"
#include "service/wire_checks.h"
#include "store/event_store.h"

namespace tsodso::api {

grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeReactor::Create(ServiceContext& ctx,
                                                                     grpc::CallbackServerContext* call, const Rpc& rpc,
                                                                     const v1::SubscribeRequest& request) {
  auto party = CallerParty(*call, *ctx.identities);
  if (party.ok()) {
    if (absl::Status allowed = CheckAccess(rpc, **party); !allowed.ok()) party = allowed;
  }
  auto reactor = std::make_shared<SubscribeReactor>(ctx, call, rpc, party.ok() ? *party : nullptr,
                                                    core::Sha256Hex(service::DeterministicBytes(request)));
  reactor->self_ = reactor;
  if (!party.ok()) {
    std::lock_guard lock(reactor->mu_);
    reactor->finishing_ = reactor->finish_sent_ = true;
    reactor->finish_status_ = party.status();
    reactor->Finish(ToGrpcStatus(party.status()));
    return reactor.get();
  }
  std::vector<int> topics(request.topics().begin(), request.topics().end());
  std::vector<std::string> pccs(request.pcc_ids().begin(), request.pcc_ids().end());
  const absl::Status checked = service::CheckRequest(request);
  absl::StatusOr<core::SubscriptionFilter> filter =
      checked.ok()
          ? core::MakeSubscriptionFilter(**party, *ctx.directory()->registry, topics, pccs, request.resume_after_seq())
          : absl::StatusOr<core::SubscriptionFilter>(checked);
  if (!filter.ok()) {
    std::lock_guard lock(reactor->mu_);
    reactor->finishing_ = reactor->finish_sent_ = true;
    reactor->finish_status_ = filter.status();
    reactor->Finish(ToGrpcStatus(filter.status()));
    return reactor.get();
  }
  // A refused subscription has nothing redelivered: the notice would reach
  // the party's other streams as a new event.
  if (reactor->Begin(*filter) && (*party)->role == core::Role::kAggregator) {
    ctx.pool->Post(
        [aggregator = (*party)->id, seen = filter->resume_after_seq](absl::StatusOr<store::PgConnection*> conn) {
          if (!conn.ok()) return;  // the next subscription tries again
          absl::Status st = store::InTransaction(
              **conn, [&] { return service::RedeliverOpenNotices(**conn, aggregator, absl::Now(), seen); });
          if (!st.ok())
            spdlog::warn("redelivering curtailment notices to {}: {}", aggregator, std::string(st.message()));
        });
  }
  return reactor.get();
}

SubscribeReactor::SubscribeReactor(ServiceContext& ctx, grpc::CallbackServerContext* call, const Rpc& rpc,
                                   std::shared_ptr<const core::Party> party, std::string request_digest)
    : ctx_(ctx),
      rpc_(rpc),
      call_(call),
      party_(std::move(party)),
      peer_certificate_(PeerCertificate(*call)),
      request_digest_(std::move(request_digest)),
      queue_(ctx.feed.queue_capacity),
      digest_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(digest_, EVP_sha256(), nullptr);
}

SubscribeReactor::~SubscribeReactor() { EVP_MD_CTX_free(digest_); }

bool SubscribeReactor::Begin(core::SubscriptionFilter filter) {
  filter_ = std::move(filter);
  scanned_seq_ = filter_.resume_after_seq;
  last_written_seq_ = filter_.resume_after_seq;
  if (absl::Status registered = ctx_.hub->Register(shared_from_this(), party_->id, ctx_.feed.max_streams_per_party);
      !registered.ok()) {
    {
      std::lock_guard lock(mu_);
      if (registered.code() == absl::StatusCode::kResourceExhausted) {
        spdlog::warn("{}: subscription refused: {}", party_->id, std::string(registered.message()));
        FinishLocked(
            absl::ResourceExhaustedError(absl::StrCat(registered.message(), " (", ctx_.feed.max_streams_per_party,
                                                      "); end one, or retry later; ", ResumeHint())));
      } else {
        FinishLocked(absl::UnavailableError(absl::StrCat("gateway is shutting down; ", ResumeHint())));
      }
    }
    Pump();
    return false;
  }
  runtime::log::Log(spdlog::level::info, {{"party", party_->id}, {"seq", filter_.resume_after_seq}},
                    "{} subscribed (resume after {})", party_->id, filter_.resume_after_seq);
  runtime::Metrics::Get().feed_streams.Add({{"role", core::RoleName(party_->role)}}).Increment();
  if (filter_.resume_after_seq > 0) feed::FeedMetrics::Get().resumes.Increment();
  {
    std::lock_guard lock(mu_);
    counted_ = true;
    fetching_ = true;
  }
  // A subscriber that resumes at the head or just behind it gets what it
  // missed from the hub's memory and goes live, so that thousands of
  // clients coming back together cost the database nothing. A resume point
  // older than the hub keeps, or beyond the head, reads the log (which
  // refuses one beyond the head).
  if (Fetch() && filter_.resume_after_seq > 0) feed::FeedMetrics::Get().memory_resumes.Increment();
  return true;
}

bool SubscribeReactor::Fetch() {
  int64_t before = 0;
  {
    std::lock_guard lock(mu_);
    before = scanned_seq_;
  }
  bool from_memory = ctx_.hub->TryResumeFromMemory(this, before);
  if (!from_memory) {
    // Not live, but it may have taken a page of the events from memory.
    std::lock_guard lock(mu_);
    from_memory = scanned_seq_ > before;
    if (from_memory) fetching_ = false;
  }
  if (from_memory) {
    Pump();
  } else {
    ctx_.pool->Post([self = shared_from_this()](auto conn) { self->ReplayPage(conn); });
  }
  return from_memory;
}

std::string SubscribeReactor::ResumeHint() const {
  return absl::StrCat("resubscribe with resume_after_seq=", last_written_seq_,
                      " (or the seq of the last event you processed)");
}

void SubscribeReactor::ReplayPage(absl::StatusOr<store::PgConnection*> conn) {
  int64_t from = 0;
  bool first = false;
  {
    std::lock_guard lock(mu_);
    if (finishing_) {
      fetching_ = false;
      return;
    }
    from = scanned_seq_;
    first = first_page_;
    first_page_ = false;
  }
  absl::Status failure;
  std::vector<core::StoredEvent> events;
  if (!conn.ok()) {
    failure = conn.status();
  } else {
    if (first) {
      auto head = store::HeadSeq(**conn);
      if (!head.ok()) {
        failure = head.status();
      } else if (from > *head) {
        failure = absl::OutOfRangeError(absl::StrCat("resume_after_seq: ", from, " is beyond the last committed event ",
                                                     *head, "; the log was reset or the seq is wrong"));
      }
    }
    if (failure.ok()) {
      auto page = store::ReadEventsAfter(**conn, from, ctx_.feed.replay_page);
      if (page.ok()) {
        feed::FeedMetrics::Get().replay_pages.Increment();
        events = std::move(*page);
      } else {
        failure = page.status();
      }
    }
  }
  if (!failure.ok()) {
    {
      std::lock_guard lock(mu_);
      fetching_ = false;
      if (failure.code() == absl::StatusCode::kOutOfRange) {
        FinishLocked(failure);
      } else {
        spdlog::warn("{}: replay failed: {}", party_->id, failure.ToString());
        FinishLocked(absl::UnavailableError(absl::StrCat("event log unavailable while replaying; ", ResumeHint())));
      }
    }
    Pump();
    return;
  }

  bool more = static_cast<int>(events.size()) == ctx_.feed.replay_page;
  int64_t scanned = 0;
  bool ended = false;
  {
    std::lock_guard lock(mu_);
    // Ended while this page was read (cancelled, or the gateway closing):
    // nothing more to queue, and never go live.
    ended = finishing_;
    if (ended) {
      fetching_ = false;
    } else {
      for (core::StoredEvent& e : events) {
        scanned_seq_ = e.seq;
        if (core::ShouldDeliver(*party_, filter_, e.envelope)) {
          queue_.PushReplay(std::make_shared<const core::StoredEvent>(std::move(e)));
        }
      }
    }
    scanned = scanned_seq_;
  }
  if (ended) {
    Pump();
    return;
  }
  bool went_live = false;
  if (!more) {
    went_live = ctx_.hub->TryGoLive(this, scanned);
    more = !went_live;  // events were committed meanwhile: read on
  }
  {
    std::lock_guard lock(mu_);
    fetching_ = false;
    replay_more_ = more;
    if (went_live) live_ = true;
  }
  Pump();
}

void SubscribeReactor::Pump() {
  enum class Action { kNone, kWrite, kFinish } action = Action::kNone;
  bool fetch = false;
  grpc::Status finish;
  {
    std::lock_guard lock(mu_);
    if (writing_ || finish_sent_) return;
    if (!finishing_) {
      if (feed::EventPtr next = queue_.Pop()) {
        in_flight_seq_ = next->seq;
        in_flight_topic_ = next->envelope.topic;
        // A live event comes encoded once for every stream; a replayed one
        // is encoded here.
        if (next->wire.empty()) {
          in_flight_bytes_ = service::EncodeWireEvent(*next);
          in_flight_event_.reset();
        } else {
          in_flight_bytes_.clear();
          in_flight_event_ = std::move(next);
        }
        action = Action::kWrite;
      }
    }
    if (finishing_) {
      finish_sent_ = true;
      finish = ToGrpcStatus(finish_status_);
      action = Action::kFinish;
    } else if (action == Action::kNone && heartbeat_due_) {
      heartbeat_due_ = false;
      in_flight_seq_ = 0;
      in_flight_bytes_ = service::EncodeHeartbeat(heartbeat_head_);
      in_flight_event_.reset();
      action = Action::kWrite;
    }
    if (action == Action::kWrite) {
      writing_ = true;
      const std::string& bytes = InFlightBytes();
      grpc::Slice slice(bytes.data(), bytes.size());
      in_flight_ = grpc::ByteBuffer(&slice, 1);
    }
    if (!finishing_ && !live_ && !fetching_ && replay_more_ && queue_.size() <= queue_.low_water()) {
      fetching_ = true;
      fetch = true;
    }
  }
  if (action == Action::kWrite) StartWrite(&in_flight_);
  if (action == Action::kFinish) Finish(finish);
  if (fetch) Fetch();
}

void SubscribeReactor::FinishLocked(const absl::Status& status) {
  if (finishing_) return;
  finishing_ = true;
  finishing_since_ = absl::Now();
  finish_status_ = status;
  queue_.Clear();
}

void SubscribeReactor::OnWriteDone(bool ok) {
  {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(absl::CancelledError("client went away"));
    } else if (in_flight_seq_ > 0) {
      last_written_seq_ = in_flight_seq_;
      ++events_sent_;
      feed::FeedMetrics::Get().Delivered(in_flight_topic_).Increment();
      const std::string& bytes = InFlightBytes();
      EVP_DigestUpdate(digest_, bytes.data(), bytes.size());
    }
  }
  Pump();
}

void SubscribeReactor::OnCancel() {
  {
    std::lock_guard lock(mu_);
    FinishLocked(absl::CancelledError("subscription cancelled by the client"));
  }
  Pump();
}

bool SubscribeReactor::OnEvent(const feed::EventPtr& event) {
  std::lock_guard lock(mu_);
  if (finishing_ || event->seq <= scanned_seq_) return false;
  scanned_seq_ = event->seq;
  if (!core::ShouldDeliver(*party_, filter_, event->envelope)) return false;
  const bool queued = queue_.PushLive(event);
  feed::FeedMetrics::Get().queue_depth.Observe(static_cast<double>(queue_.size()));
  if (!queued) {
    spdlog::warn("{}: subscriber fell behind ({} events queued); ending its stream", party_->id, queue_.size());
    FinishLocked(absl::ResourceExhaustedError(
        absl::StrCat("subscriber fell behind: more than ", queue_.capacity(), " events queued; ", ResumeHint())));
  }
  // A write under way takes the next event when it completes.
  if (writing_ || drain_asked_) return false;
  drain_asked_ = true;
  return true;
}

void SubscribeReactor::Drain() {
  {
    std::lock_guard lock(mu_);
    drain_asked_ = false;
  }
  Pump();
}

bool SubscribeReactor::OnRecent(absl::Span<const feed::EventPtr> events) {
  std::lock_guard lock(mu_);
  // Ended already: the replay's path sees it and stops.
  if (finishing_) return false;
  int taken = 0;
  for (const feed::EventPtr& e : events) {
    if (e->seq <= scanned_seq_) continue;
    if (core::ShouldDeliver(*party_, filter_, e->envelope)) {
      // A page at a time, as from the log: the rest when the queue has
      // drained below its low-water mark.
      if (taken == ctx_.feed.replay_page) {
        first_page_ = false;
        return false;
      }
      queue_.PushReplay(e);
      ++taken;
    }
    scanned_seq_ = e->seq;
  }
  fetching_ = false;
  first_page_ = false;
  replay_more_ = false;
  live_ = true;
  return true;
}

void SubscribeReactor::OnHeartbeat(int64_t head_seq) {
  {
    std::lock_guard lock(mu_);
    // A stream cut while a write is stuck (the client stopped reading but
    // keeps the connection alive) cannot send its status behind that write:
    // HTTP/2 trailers follow the stream's data, which flow control holds
    // back. Cancelling the call with the status instead sends the trailers
    // (code and message, resume hint included) at once, ahead of the held
    // data, and resets the stream; the client reads what it has buffered,
    // then this status. ServerContext::TryCancel would say CANCELLED, which
    // the feed's contract does not promise. Under mu_ and before OnDone, so
    // the call is still there; cancelling runs no reactor callback on this
    // thread. The write then completes with ok == false and Pump finishes
    // the call, as every call must be finished.
    if (finishing_ && writing_ && !finish_sent_ && !cancel_sent_ && !done_ &&
        absl::Now() - finishing_since_ > kStalledWriteGrace) {
      spdlog::warn("{}: stream stalled after it was ended; sending its status ahead of the stuck write: {}", party_->id,
                   finish_status_.ToString());
      cancel_sent_ = true;
      const std::string message(finish_status_.message());
      grpc_call_cancel_with_status(call_->c_call(), static_cast<grpc_status_code>(finish_status_.code()),
                                   message.c_str(), nullptr);
      return;
    }
    if (finishing_ || writing_ || !queue_.empty()) return;
    heartbeat_due_ = true;
    // Never below what this subscriber has already been sent.
    heartbeat_head_ = std::max(head_seq, scanned_seq_);
  }
  Pump();
}

void SubscribeReactor::OnClose(const absl::Status& status) {
  {
    std::lock_guard lock(mu_);
    FinishLocked(absl::Status(status.code(), absl::StrCat(status.message(), "; ", ResumeHint())));
  }
  Pump();
}

absl::Status SubscribeReactor::StillEntitled() {
  if (party_ == nullptr) return absl::OkStatus();
  std::shared_ptr<const CallerIdentity> now = ctx_.identities->ResolvePem(peer_certificate_);
  if (now->party == nullptr) {
    spdlog::warn("ending {}'s subscription: {}", party_->id, std::string(now->refusal.message()));
    return absl::UnauthenticatedError(absl::StrCat("subscription ended: ", now->refusal.message()));
  }
  if (now->party->id != party_->id || now->party->role != party_->role) {
    spdlog::warn("ending {}'s subscription: the party registry changed it", party_->id);
    return absl::UnauthenticatedError(absl::StrCat("subscription ended: party '", party_->id,
                                                   "' was changed in the party registry; subscribe again"));
  }
  return absl::OkStatus();
}

void SubscribeReactor::OnDone() {
  bool counted = false;
  absl::StatusCode ended = absl::StatusCode::kOk;
  {
    std::lock_guard lock(mu_);
    done_ = true;  // call_ is gone once this returns
    counted = counted_;
    ended = finish_status_.code();
  }
  ctx_.hub->Unregister(this);
  runtime::Metrics& metrics = runtime::Metrics::Get();
  if (counted) metrics.feed_streams.Add({{"role", core::RoleName(party_->role)}}).Decrement();
  // A subscription the gateway ended, by why: the subscriber fell behind,
  // its party had too many open (refused at once), its certificate or
  // party no longer holds, or the gateway stopped. The client's own cancel
  // is no cut.
  const char* cut = nullptr;
  if (ended == absl::StatusCode::kResourceExhausted) cut = counted ? "slow" : "limit";
  if (ended == absl::StatusCode::kUnauthenticated) cut = "unentitled";
  if (ended == absl::StatusCode::kUnavailable) cut = "shutdown";
  if (cut != nullptr) metrics.feed_subscribers_cut.Add({{"reason", cut}}).Increment();
  if (party_ != nullptr) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    std::string outcome;
    {
      std::lock_guard lock(mu_);
      EVP_DigestFinal_ex(digest_, md, &len);
      outcome = GrpcCodeName(static_cast<grpc::StatusCode>(finish_status_.code()));
      runtime::log::Log(spdlog::level::info,
                        {{"party", party_->id}, {"method", rpc_.path}, {"code", outcome}, {"seq", last_written_seq_}},
                        "{} subscription ended: {} after {} events (last seq {})", party_->id,
                        finish_status_.ok() ? "OK" : finish_status_.ToString(), events_sent_, last_written_seq_);
    }
    AuditLater(*ctx_.groups, {party_->id, rpc_.path, outcome, request_digest_,
                              absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), len))});
  }
  std::shared_ptr<SubscribeReactor> last = std::move(self_);
}

}  // namespace tsodso::api
