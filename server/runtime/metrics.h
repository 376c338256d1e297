// The gateway's Prometheus metrics: one registry per process, every family
// defined here with its name, type, labels and help, so that
// docs/OPERATIONS.md's table and deploy/prometheus/alerts.yml have one place
// to agree with. The app layer serves the registry (metrics.listen).
//
// Names follow Prometheus's conventions: a `tsodso_` prefix, base units
// (`_seconds`, `_bytes`), `_total` on counters, and labels of low
// cardinality: service, method, code, topic, role, reason, SQLSTATE class,
// kind of work, and PCC ids (bounded by the registry). Party ids appear on
// no series.
//
// A family's Add() takes a lock and hashes its labels: code on a hot path
// keeps the metric it returns (references stay valid for the process).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <string>

namespace tsodso::runtime {

class Metrics {
 public:
  // The process's metrics.
  static Metrics& Get();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // Record that this replica published `kind` figures (flexibility,
  // forecast_day_ahead, forecast_intraday) of `pcc` now, due every
  // `interval_s` seconds.
  void Published(const std::string& kind, const std::string& pcc, double interval_s);

  // Buckets for durations from 0.5 ms to 60 s.
  static const prometheus::Histogram::BucketBoundaries& DurationBuckets();

 private:
  Metrics();
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  // ------------------------------------------------------------------ gRPC
  prometheus::Family<prometheus::Counter>& grpc_requests;       // {service, method, code}
  prometheus::Family<prometheus::Histogram>& grpc_duration;     // {service, method}
  prometheus::Family<prometheus::Gauge>& grpc_in_flight;        // {service, method}
  prometheus::Family<prometheus::Counter>& handshakes_refused;  // {reason}
  prometheus::Family<prometheus::Counter>& identities_refused;  // {reason}
  // ------------------------------------------------------------------ feed
  prometheus::Family<prometheus::Gauge>& feed_streams;             // {role}
  prometheus::Family<prometheus::Counter>& feed_events_committed;  // {topic}
  prometheus::Family<prometheus::Counter>& feed_events_delivered;  // {topic}
  prometheus::Family<prometheus::Histogram>& feed_queue_depth;     // {}
  prometheus::Family<prometheus::Counter>& feed_subscribers_cut;   // {reason}
  prometheus::Family<prometheus::Counter>& feed_replay_pages;      // {}
  prometheus::Family<prometheus::Counter>& feed_resumes;           // {}
  prometheus::Family<prometheus::Counter>& feed_memory_resumes;    // {}
  prometheus::Family<prometheus::Counter>& feed_handed_over;       // {}
  prometheus::Family<prometheus::Gauge>& feed_head_seq;            // {}
  // -------------------------------------------------------------- database
  prometheus::Family<prometheus::Gauge>& db_workers;                   // {}
  prometheus::Family<prometheus::Gauge>& db_queue_depth;               // {}
  prometheus::Family<prometheus::Gauge>& db_busy_workers;              // {}
  prometheus::Family<prometheus::Histogram>& db_transaction_duration;  // {}
  prometheus::Family<prometheus::Counter>& db_errors;                  // {sqlstate_class}
  prometheus::Family<prometheus::Counter>& db_reconnects;              // {}
  prometheus::Family<prometheus::Counter>& db_statement_timeouts;      // {}
  // ------------------------------------------------------------------ work
  prometheus::Family<prometheus::Histogram>& compute_duration;  // {kind}
  prometheus::Family<prometheus::Gauge>& last_publish;          // {kind, pcc}
  prometheus::Family<prometheus::Gauge>& publish_interval;      // {kind}
  prometheus::Family<prometheus::Gauge>& publisher_lock_held;   // {}
  // -------------------------------------------------------------- security
  prometheus::Family<prometheus::Gauge>& certificate_not_after;  // {certificate}
  prometheus::Family<prometheus::Gauge>& crl_next_update;        // {crl}
  prometheus::Family<prometheus::Counter>& audit_records;        // {}
};

// Observes the time from its construction to its destruction in
// tsodso_compute_duration_seconds{kind} (flexibility, grid_limited,
// forecast, validation).
class ComputeTimer {
 public:
  explicit ComputeTimer(const char* kind);
  ~ComputeTimer();
  ComputeTimer(const ComputeTimer&) = delete;
  ComputeTimer& operator=(const ComputeTimer&) = delete;

 private:
  prometheus::Histogram& histogram_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace tsodso::runtime
