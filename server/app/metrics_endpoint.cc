#include "app/metrics_endpoint.h"

#include <exception>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/metrics.h"

namespace tsodso::app {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& listen) {
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // One thread: a scrape every few seconds needs no more.
    exposer = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("metrics.listen: cannot listen on '", listen, "': ", e.what()));
  }
  exposer->RegisterCollectable(runtime::Metrics::Get().registry());
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) return absl::UnavailableError(absl::StrCat("metrics.listen: not listening on '", listen, "'"));
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(exposer), ports.front()));
}

}  // namespace tsodso::app
