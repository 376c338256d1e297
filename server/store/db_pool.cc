#include "store/db_pool.h"

#include "absl/time/clock.h"
#include "runtime/metrics.h"

namespace tsodso::store {

namespace {

// The pool's metrics (runtime/metrics.h): workers, calls waiting, workers
// busy, time per task.
struct PoolMetrics {
  prometheus::Gauge& workers = runtime::Metrics::Get().db_workers.Add({});
  prometheus::Gauge& queued = runtime::Metrics::Get().db_queue_depth.Add({});
  prometheus::Gauge& busy = runtime::Metrics::Get().db_busy_workers.Add({});
  prometheus::Histogram& duration =
      runtime::Metrics::Get().db_transaction_duration.Add({}, runtime::Metrics::DurationBuckets());
};

PoolMetrics& Metrics() {
  static PoolMetrics* metrics = new PoolMetrics();
  return *metrics;
}

}  // namespace

DbPool::DbPool(std::string dsn, int workers, size_t max_queue, SessionOptions session)
    : dsn_(std::move(dsn)), session_(session), workers_("database pool", workers, max_queue) {
  Metrics().workers.Set(workers);
}

void DbPool::Post(Task task) {
  auto shared = std::make_shared<Task>(std::move(task));
  PoolMetrics& metrics = Metrics();
  metrics.queued.Increment();
  absl::Status queued = workers_.Post([this, shared, &metrics](std::unique_ptr<PgConnection>& conn) {
    metrics.queued.Decrement();
    metrics.busy.Increment();
    const absl::Time started = absl::Now();
    struct Done {
      PoolMetrics& m;
      absl::Time started;
      ~Done() {
        m.busy.Decrement();
        m.duration.Observe(absl::ToDoubleSeconds(absl::Now() - started));
      }
    } done{metrics, started};
    absl::Status connected = absl::OkStatus();
    if (!conn) {
      auto opened = PgConnection::Open(dsn_, session_);
      if (opened.ok()) {
        conn = std::move(*opened);
      } else {
        connected = opened.status();
      }
    } else {
      connected = conn->EnsureConnected();
    }
    // A task that throws loses its connection (the pool starts the worker's
    // state afresh) rather than leave one in an unknown state.
    if (connected.ok()) {
      (*shared)(conn.get());
    } else {
      (*shared)(connected);
    }
  });
  if (!queued.ok()) {
    metrics.queued.Decrement();
    (*shared)(queued);
  }
}

}  // namespace tsodso::store
