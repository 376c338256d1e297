#include "runtime/metrics.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tsodso::runtime {
namespace {

prometheus::Family<prometheus::Counter>& Counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Histogram>& Histogram(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

}  // namespace

Metrics& Metrics::Get() {
  static Metrics* metrics = new Metrics();  // lives as long as the process
  return *metrics;
}

const prometheus::Histogram::BucketBoundaries& Metrics::DurationBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                  0.25,   0.5,   1,      2.5,   5,    10,    30,   60};
  return buckets;
}

void Metrics::Published(const std::string& kind, const std::string& pcc, double interval_s) {
  last_publish.Add({{"kind", kind}, {"pcc", pcc}}).Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  publish_interval.Add({{"kind", kind}}).Set(interval_s);
}

ComputeTimer::ComputeTimer(const char* kind)
    : histogram_(Metrics::Get().compute_duration.Add({{"kind", kind}}, Metrics::DurationBuckets())),
      start_(std::chrono::steady_clock::now()) {}

ComputeTimer::~ComputeTimer() {
  histogram_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      grpc_requests(Counter(*registry_, "tsodso_grpc_requests_total",
                            "Calls finished, by service, method and gRPC status code.")),
      grpc_duration(Histogram(*registry_, "tsodso_grpc_request_duration_seconds",
                              "Time from a call's arrival to its status, by service and method (unary calls).")),
      grpc_in_flight(Gauge(*registry_, "tsodso_grpc_in_flight_requests",
                           "Unary calls started and not yet answered (streams: tsodso_feed_streams).")),
      handshakes_refused(Counter(*registry_, "tsodso_tls_handshakes_refused_total",
                                 "TLS handshakes the gateway's certificate check refused, by reason.")),
      identities_refused(Counter(*registry_, "tsodso_identities_refused_total",
                                 "Calls refused because their certificate names no party that may call, by reason.")),
      feed_streams(Gauge(*registry_, "tsodso_feed_streams", "Open feed subscriptions, by the subscriber's role.")),
      feed_events_committed(Counter(*registry_, "tsodso_feed_events_committed_total",
                                    "Events committed to the event log and dispatched by this replica, by topic.")),
      feed_events_delivered(Counter(*registry_, "tsodso_feed_events_delivered_total",
                                    "Events written to subscribers' streams, by topic.")),
      feed_queue_depth(Histogram(*registry_, "tsodso_feed_stream_queue_depth",
                                 "A stream's queued events, observed at each event queued to it.")),
      feed_subscribers_cut(Counter(*registry_, "tsodso_feed_subscribers_cut_total",
                                   "Subscriptions the gateway ended, by reason (slow, limit, unentitled, shutdown).")),
      feed_replay_pages(Counter(*registry_, "tsodso_feed_replay_pages_total",
                                "Pages of the event log read to replay subscriptions.")),
      feed_resumes(Counter(*registry_, "tsodso_feed_resumes_total",
                           "Subscriptions that resumed after a seq they had already received.")),
      feed_memory_resumes(
          Counter(*registry_, "tsodso_feed_memory_resumes_total",
                  "Resumed subscriptions served from the hub's recent events, reading nothing from the log.")),
      feed_handed_over(Counter(*registry_, "tsodso_feed_events_handed_over_total",
                               "Events dispatched straight from the group commit that wrote them, before the log "
                               "was read.")),
      feed_head_seq(Gauge(*registry_, "tsodso_feed_head_seq", "The last seq this replica has dispatched.")),
      db_workers(Gauge(*registry_, "tsodso_db_workers", "Database workers, each with its own connection.")),
      db_queue_depth(Gauge(*registry_, "tsodso_db_queue_depth", "Calls waiting for a database worker.")),
      db_busy_workers(Gauge(*registry_, "tsodso_db_busy_workers", "Database workers running a call.")),
      db_transaction_duration(Histogram(*registry_, "tsodso_db_transaction_duration_seconds",
                                        "Time a database worker spends on one call, its transaction included.")),
      db_errors(Counter(*registry_, "tsodso_db_errors_total",
                        "Statements that failed, by SQLSTATE class (08 connection, 40 rollback, 57 operator "
                        "intervention, ...).")),
      db_reconnects(Counter(*registry_, "tsodso_db_reconnects_total", "Database connections opened again.")),
      db_statement_timeouts(Counter(*registry_, "tsodso_db_statement_timeouts_total",
                                    "Statements cancelled by database.statement_timeout_ms.")),
      compute_duration(Histogram(*registry_, "tsodso_compute_duration_seconds",
                                 "Time to compute one result, by kind (flexibility, grid_limited, forecast, "
                                 "validation).")),
      last_publish(Gauge(*registry_, "tsodso_last_publish_timestamp_seconds",
                         "When this replica last published a PCC's figures, by kind and PCC (Unix time).")),
      publish_interval(Gauge(*registry_, "tsodso_publish_interval_seconds",
                             "How often figures of each kind are due to be published.")),
      publisher_lock_held(
          Gauge(*registry_, "tsodso_publisher_lock_held", "1 while this replica holds the publisher lock, else 0.")),
      certificate_not_after(Gauge(*registry_, "tsodso_tls_certificate_not_after_timestamp_seconds",
                                  "When the server certificate and the client CA expire (Unix time).")),
      crl_next_update(Gauge(*registry_, "tsodso_tls_crl_next_update_timestamp_seconds",
                            "When each CRL in force is due to be replaced (its nextUpdate, Unix time).")),
      audit_records(Counter(*registry_, "tsodso_audit_records_total", "Audit records appended.")) {}

}  // namespace tsodso::runtime
