// The HTTP listener Prometheus scrapes: GET /metrics answers the process's
// metrics (runtime/metrics.h) in Prometheus's text format. Plain HTTP:
// metrics.listen belongs on loopback, or on a management network that only
// the monitoring hosts reach (docs/OPERATIONS.md).
#pragma once

#include <prometheus/exposer.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tsodso::app {

class MetricsEndpoint {
 public:
  // Listen on `listen` ("HOST:PORT"; port 0 picks a free one).
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& listen);
  int port() const { return port_; }

 private:
  explicit MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer, int port)
      : exposer_(std::move(exposer)), port_(port) {}
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

}  // namespace tsodso::app
