// One feed subscription: replays the log from the database, then switches
// to live events from the hub, writing through a bounded queue.
#pragma once

#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>

#include <memory>
#include <mutex>

#include "absl/time/time.h"
#include "api/access.h"
#include "api/service_context.h"
#include "core/events/event.h"
#include "feed/hub.h"
#include "feed/subscriber_queue.h"
#include "tsodso/v1/feed.pb.h"

namespace tsodso::api {

// Owned by itself (self_) and by whoever still holds a shared_ptr to it:
// the hub while registered, database tasks while running. gRPC's last call
// is OnDone, which drops the self-reference; nothing touches gRPC after it.
class SubscribeReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                               public feed::Subscriber,
                               public std::enable_shared_from_this<SubscribeReactor> {
 public:
  // Start the subscription `rpc` asks for. An aggregator that comes back
  // without having acknowledged a curtailment notice it has seen gets it
  // again, as a new event behind its replay.
  static grpc::ServerWriteReactor<grpc::ByteBuffer>* Create(ServiceContext& ctx, grpc::CallbackServerContext* call,
                                                            const Rpc& rpc, const v1::SubscribeRequest& request);
  SubscribeReactor(ServiceContext& ctx, grpc::CallbackServerContext* call, const Rpc& rpc,
                   std::shared_ptr<const core::Party> party, std::string request_digest);
  ~SubscribeReactor() override;

  // grpc::ServerWriteReactor
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // feed::Subscriber (called with the hub's lock held, but for Drain)
  // Queues the event; asks for a drain when no write is under way, so that
  // the hub's lock is not held while writes start.
  bool OnEvent(const feed::EventPtr& event) override;
  // Starts the next write, on the thread the hub's drain runner chose.
  void Drain() override;
  void OnHeartbeat(int64_t head_seq) override;
  void OnClose(const absl::Status& status) override;
  // UNAUTHENTICATED when the stream's certificate is now expired or revoked,
  // or its party was removed from the registry or changed role.
  absl::Status StillEntitled() override;
  // Takes the events it should deliver from the hub's memory, a replay page
  // at a time as from the log: true (live) when they all fit in the page.
  bool OnRecent(absl::Span<const feed::EventPtr> events) override;

 private:
  // Register with the hub and start replaying; false when the stream was
  // refused (and is being finished).
  bool Begin(core::SubscriptionFilter filter);
  // Read the events after scanned_seq_: from the hub's memory while it
  // still holds them all (true), else a page of the log on the database
  // pool. Called with fetching_ set, mu_ not held and never from the hub
  // (which calls only a live or ending subscriber, one that never fetches).
  bool Fetch();
  void ReplayPage(absl::StatusOr<store::PgConnection*> conn);
  // Start the next write, finish the stream, or ask for the next replay
  // page, whichever is due. Never called with mu_ held.
  void Pump();
  void FinishLocked(const absl::Status& status);
  const std::string& InFlightBytes() const { return in_flight_event_ ? in_flight_event_->wire : in_flight_bytes_; }
  std::string ResumeHint() const;
  // How long an ended stream may wait for a stuck write before its status
  // is sent ahead of that write (checked at each heartbeat).
  static constexpr absl::Duration kStalledWriteGrace = absl::Seconds(5);

  ServiceContext& ctx_;
  const Rpc& rpc_;
  grpc::CallbackServerContext* call_;               // valid until OnDone
  const std::shared_ptr<const core::Party> party_;  // null when the caller was refused
  const std::string peer_certificate_;              // PEM, as verified at the handshake
  core::SubscriptionFilter filter_;
  const std::string request_digest_;
  std::shared_ptr<SubscribeReactor> self_;

  std::mutex mu_;
  feed::SubscriberQueue queue_;
  grpc::ByteBuffer in_flight_;
  // What in_flight_ holds, for the digest: the event's own wire bytes when
  // it has them, else in_flight_bytes_.
  feed::EventPtr in_flight_event_;
  std::string in_flight_bytes_;
  int64_t in_flight_seq_ = 0;  // 0 for a heartbeat
  core::Topic in_flight_topic_ = core::Topic::kNotice;
  bool writing_ = false;
  bool drain_asked_ = false;  // OnEvent asked the hub for a Drain not yet run
  bool heartbeat_due_ = false;
  int64_t heartbeat_head_ = 0;
  int64_t scanned_seq_ = 0;       // highest seq considered for this subscriber
  int64_t last_written_seq_ = 0;  // highest seq the client has been sent
  bool first_page_ = true;
  bool done_ = false;     // OnDone has run: call_ must not be used
  bool counted_ = false;  // in tsodso_feed_streams
  bool fetching_ = false;
  bool replay_more_ = true;
  bool live_ = false;
  bool finishing_ = false;
  bool finish_sent_ = false;
  bool cancel_sent_ = false;  // the status went out ahead of a stuck write
  absl::Status finish_status_;
  absl::Time finishing_since_;
  int64_t events_sent_ = 0;
  EVP_MD_CTX* digest_ = nullptr;  // running SHA-256 of the events written
};

}  // namespace tsodso::api
