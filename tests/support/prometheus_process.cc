#include "support/prometheus_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "support/gateway_process.h"

namespace tsodso::testing {
namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string UrlEncoded(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

}  // namespace

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

PrometheusProcess::PrometheusProcess(std::vector<std::string> targets)
    : targets_(std::move(targets)), dir_(std::make_unique<TempDir>("tsodso-prom")) {}

PrometheusProcess::~PrometheusProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, 5000);
  }
}

absl::Status PrometheusProcess::Start() {
  const std::string config = *dir_ / "prometheus.yml";
  {
    std::ofstream out(config);
    out << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "rule_files:\n  - \"" << TSODSO_SOURCE_DIR << "/deploy/prometheus/alerts.yml\"\n"
        << "scrape_configs:\n  - job_name: tsodso-gateway\n    static_configs:\n      - targets: [";
    for (size_t i = 0; i < targets_.size(); ++i) out << (i ? ", " : "") << "\"" << targets_[i] << "\"";
    out << "]\n";
  }
  // A free port may be taken by another process before Prometheus binds
  // it: then it exits at once, and it is started again on another.
  for (int attempt = 1;; ++attempt) {
    port_ = FreePort();
    pid_ = Spawn({"/usr/bin/prometheus", "--config.file=" + config, "--storage.tsdb.path=" + (*dir_ / "data"),
                  absl::StrCat("--web.listen-address=127.0.0.1:", port_), "--log.level=warn"},
                 *dir_ / "prometheus.log", *dir_ / "prometheus.log");
    bool exited = false;
    for (int waited = 0; waited < 30000 && !exited; waited += 200) {
      std::string body;
      if (HttpGet(absl::StrCat("http://127.0.0.1:", port_, "/-/ready"), &body) == 200) return absl::OkStatus();
      if (WaitExit(pid_, 0) >= 0) {
        pid_ = -1;
        exited = true;
      } else {
        SleepMs(200);
      }
    }
    if (!exited) break;
    if (attempt == 3 || Log().find("address already in use") == std::string::npos) {
      return absl::InternalError("prometheus exited:\n" + Log());
    }
  }
  return absl::DeadlineExceededError("prometheus did not become ready:\n" + Log());
}

std::optional<double> PrometheusProcess::Query(const std::string& expr) const {
  std::string body;
  if (HttpGet(absl::StrCat("http://127.0.0.1:", port_, "/api/v1/query?query=", UrlEncoded(expr)), &body) != 200) {
    return std::nullopt;
  }
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return std::nullopt;
  const nlohmann::json& result = j["data"]["result"];
  if (!result.is_array() || result.size() != 1) return std::nullopt;
  return std::stod(result[0]["value"][1].get<std::string>());
}

std::string PrometheusProcess::Log() const { return ReadAll(*dir_ / "prometheus.log"); }

}  // namespace tsodso::testing
