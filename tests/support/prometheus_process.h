// A real Prometheus (Debian's package) for end-to-end tests: scrapes the
// given gateways' metrics listeners every second as job "tsodso-gateway",
// with the alert rules of deploy/prometheus/ loaded, and answers instant
// queries over its HTTP API.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "support/temp_dir.h"

namespace tsodso::testing {

class PrometheusProcess {
 public:
  // `targets`: HOST:PORT of each metrics listener.
  explicit PrometheusProcess(std::vector<std::string> targets);
  ~PrometheusProcess();

  // Start on a free port and wait until it is ready.
  absl::Status Start();
  // The value of the one sample an instant query returns; nullopt when it
  // returns none (or several), or the query fails.
  std::optional<double> Query(const std::string& expr) const;
  // Wait up to `timeout_ms` for `expr` to return a sample for which
  // `holds` is true; return the last value seen.
  template <typename Holds>
  std::optional<double> WaitFor(const std::string& expr, Holds holds, int timeout_ms = 30000) const;
  std::string Log() const;

 private:
  std::vector<std::string> targets_;
  std::unique_ptr<TempDir> dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

void SleepMs(int ms);

template <typename Holds>
std::optional<double> PrometheusProcess::WaitFor(const std::string& expr, Holds holds, int timeout_ms) const {
  std::optional<double> v;
  for (int waited = 0; waited <= timeout_ms; waited += 250) {
    v = Query(expr);
    if (v && holds(*v)) return v;
    SleepMs(250);
  }
  return v;
}

}  // namespace tsodso::testing
