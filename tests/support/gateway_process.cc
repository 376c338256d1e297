#include "support/gateway_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace tsodso::testing {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path) {
  pid_t pid = fork();
  if (pid == 0) {
    // Die with the test binary, so an interrupted run leaves no daemon.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = err_path == out_path ? out : open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Wait for pid up to timeout_ms; return its exit code, or -1 on timeout.
int WaitExit(pid_t pid, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int HttpGet(const std::string& url, std::string* body) {
  return RunCommand({"/usr/bin/python3", "-c",
                     "import sys, urllib.request\n"
                     "try:\n"
                     "    sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())\n"
                     "except Exception as e:\n"
                     "    sys.stdout.write(str(e)); sys.exit(1)\n",
                     url},
                    body, nullptr, 10000) == 0
             ? 200
             : -1;
}

std::string BinPath(const std::string& name) { return std::string(TSODSO_BIN_DIR) + "/" + name; }

const DemoCerts& DemoCerts::Get() {
  // A static object, so its directory is removed when the binary exits.
  static DemoCerts certs;
  return certs;
}

DemoCerts::DemoCerts() {
  dir_ = std::make_unique<TempDir>("certs");
  std::string out;
  std::string err;
  int rc = RunCommand(
      {"/bin/bash", std::string(TSODSO_SOURCE_DIR) + "/deploy/certs/make-demo-certs.sh", dir_->path() + "/certs"}, &out,
      &err, 120000);
  if (rc != 0) {
    std::fprintf(stderr, "make-demo-certs.sh failed (%d): %s\n%s\n", rc, out.c_str(), err.c_str());
    std::abort();
  }
}

GatewayProcess::GatewayProcess(GatewayOptions options) : options_(std::move(options)) {
  dir_ = std::make_unique<TempDir>("gw");
  config_path_ = *dir_ / "gateway.yaml";
  data_dir_ = *dir_ / "data";
  log_path_ = *dir_ / "gateway.log";
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0) {
    if (Terminate(10000) < 0) Kill9();
  }
  // A private cluster stops by itself when its daemon dies; should one
  // still run (a daemon that failed in an unforeseen way), stop it here.
  if (options_.dsn.empty()) {
    std::string out;
    RunCommand({"/bin/sh", "-c",
                "pg=$(ls -d /usr/lib/postgresql/*/bin | tail -1); d='" + data_dir_ +
                    "/postgres/data'; [ -f \"$d/postmaster.pid\" ] && runuser -u postgres -- \"$pg/pg_ctl\" stop -D "
                    "\"$d\" -m immediate -w || true"},
               &out);
  }
}

void GatewayProcess::WriteConfig() {
  const DemoCerts& certs = DemoCerts::Get();
  std::ofstream out(config_path_);
  out << "listen: \"127.0.0.1:" << options_.port << "\"\n"
      << "data_dir: \"" << data_dir_ << "\"\n"
      << "log_level: " << options_.log_level << "\n"
      << "log_format: " << options_.log_format << "\n"
      << "shutdown_grace_ms: " << options_.shutdown_grace_ms << "\n"
      << "tls:\n"
      << "  cert: \"" << certs.File("server.crt") << "\"\n"
      << "  key: \"" << certs.File("server.key") << "\"\n"
      << "  client_ca: \"" << certs.File("ca.crt") << "\"\n"
      << "  identity: san_uri\n";
  if (!options_.crl_dir.empty()) out << "  crl_dir: \"" << options_.crl_dir << "\"\n";
  if (options_.tls_refresh_interval_s > 0) out << "  refresh_interval_s: " << options_.tls_refresh_interval_s << "\n";
  out << "database:\n"
      << "  dsn: \"" << options_.dsn << "\"\n"
      << "  pool_size: " << options_.pool_size << "\n";
  if (options_.statement_timeout_ms > 0) out << "  statement_timeout_ms: " << options_.statement_timeout_ms << "\n";
  out << "feed:\n"
      << "  heartbeat_interval_ms: " << options_.heartbeat_ms << "\n"
      << "  subscriber_queue_capacity: " << options_.queue_capacity << "\n"
      << "  replay_page_size: " << options_.replay_page << "\n";
  if (options_.max_streams_per_party > 0) out << "  max_streams_per_party: " << options_.max_streams_per_party << "\n";
  if (options_.recent_events >= 0) out << "  recent_events: " << options_.recent_events << "\n";
  if (options_.hand_over >= 0) out << "  hand_over: " << (options_.hand_over != 0 ? "true" : "false") << "\n";
  if (options_.max_connection_age_ms > 0 || options_.min_client_ping_interval_ms > 0) {
    out << "keepalive:\n";
    if (options_.max_connection_age_ms > 0) {
      out << "  max_connection_age_ms: " << options_.max_connection_age_ms << "\n"
          << "  max_connection_age_grace_ms: " << options_.max_connection_age_grace_ms << "\n";
    }
    if (options_.min_client_ping_interval_ms > 0) {
      out << "  min_client_ping_interval_ms: " << options_.min_client_ping_interval_ms << "\n";
    }
  }
  out << "pccs:\n"
      << "  - {id: PS_SUD, name: \"Milano PS Sud\", voltage_levels_kv: [220, 23]}\n"
      << "  - {id: PS_OVEST, name: \"Milano PS Ovest\", voltage_levels_kv: [220, 23]}\n"
      << "  - {id: PS_EST, name: \"Milano PS Est\", voltage_levels_kv: [132, 15]}\n";
  for (const ExtraPcc& p : options_.extra_pccs) out << "  - {id: " << p.id << ", name: \"" << p.id << "\"}\n";
  out << "parties:\n";
  const std::vector<std::pair<std::string, std::string>> parties = {
      {"tso-terna", "{id: tso-terna, role: TSO, identity: \"urn:tsodso:party:tso-terna\", pccs: \"*\"}"},
      {"agg-1", "{id: agg-1, role: AGGREGATOR, identity: \"urn:tsodso:party:agg-1\", pccs: [PS_SUD]}"},
      {"agg-2", "{id: agg-2, role: AGGREGATOR, identity: \"urn:tsodso:party:agg-2\", pccs: [PS_OVEST, PS_EST]}"},
      {"dso-operator",
       "{id: dso-operator, role: DSO_OPERATOR, identity: \"urn:tsodso:party:dso-operator\", pccs: \"*\"}"}};
  const auto omitted = [&](const std::string& id) {
    return std::find(options_.omitted_parties.begin(), options_.omitted_parties.end(), id) !=
           options_.omitted_parties.end();
  };
  for (const auto& [id, line] : parties) {
    if (!omitted(id)) out << "  - " << line << "\n";
  }
  out << "portfolios:\n";
  if (!omitted("agg-1")) {
    out << "  - {id: agg1-sud-vpp, aggregator: agg-1, pcc: PS_SUD, p_min_mw: -15, p_max_mw: 15, q_min_mvar: -5, "
           "q_max_mvar: 5}\n";
  }
  if (!omitted("agg-2")) out << "  - {id: agg2-ovest-ev, aggregator: agg-2, pcc: PS_OVEST, p_min_mw: 0, p_max_mw: 8}\n";
  for (int i = 0; i < options_.extra_agg1_portfolios; ++i) {
    out << "  - {id: agg1-sud-bench-" << i << ", aggregator: agg-1, pcc: PS_SUD, p_min_mw: -15, p_max_mw: 15, "
        << "q_min_mvar: -5, q_max_mvar: 5}\n";
  }
  if (options_.flexibility || !options_.extra_pccs.empty()) {
    const std::string config = std::string(TSODSO_SOURCE_DIR) + "/config/";
    out << "flexibility:\n"
        << "  der_classes: \"" << config << "der-classes.yaml\"\n"
        << "  publish_interval_s: " << options_.flexibility_interval_s << "\n"
        << "  horizon_hours: 24\n";
    if (options_.lease_period_s > 0) out << "  lease_period_s: " << options_.lease_period_s << "\n";
    if (!options_.grid_area_cache) out << "  grid_area_cache: false\n";
    out << "  pccs:\n";
    if (options_.flexibility) {
      out << "    PS_SUD:\n"
          << "      current: \""
          << (options_.flexibility_current.empty() ? config + "ps-sud/as-is.yaml" : options_.flexibility_current)
          << "\"\n"
          << "      \"2030\": \"" << config << "ps-sud/2030.yaml\"\n";
    }
    for (const ExtraPcc& p : options_.extra_pccs) out << "    " << p.id << ": {current: \"" << p.scenario << "\"}\n";
  }
  if (!options_.metrics_listen.empty()) out << "metrics:\n  listen: \"" << options_.metrics_listen << "\"\n";
  bool grid_section = false;
  const auto grid_line = [&](const std::string& pcc, const std::string& dir) {
    if (dir.empty()) return;
    if (!grid_section) out << "grid:\n  pccs:\n";
    grid_section = true;
    out << "    " << pcc << ": \"" << dir << "\"\n";
  };
  grid_line("PS_SUD", options_.grid_model_dir);
  for (const ExtraPcc& p : options_.extra_pccs) grid_line(p.id, p.grid_model_dir);
  if (!options_.forecast_history.empty() || !options_.forecasts) {
    out << "forecast:\n  enabled: " << (options_.forecasts ? "true" : "false") << "\n";
    if (!options_.forecast_history.empty()) out << "  history:\n    PS_SUD: \"" << options_.forecast_history << "\"\n";
  }
}

absl::Status GatewayProcess::Start() {
  WriteConfig();
  const std::string ready = *dir_ / "ready.json";
  unlink(ready.c_str());
  // Keep earlier runs' output: a restart appends.
  const std::string run_log = log_path_ + ".run";
  const std::string daemon = options_.daemon.empty() ? BinPath("tsodso-gatewayd") : options_.daemon;
  std::vector<std::string> argv = {daemon, "--config", config_path_, "--ready-file", ready};
  if (options_.cpu >= 0) argv.insert(argv.begin(), {"/usr/bin/taskset", "-c", std::to_string(options_.cpu)});
  pid_ = Spawn(argv, run_log, run_log);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(ready);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto pos = text.find("\"port\": ");
    if (pos != std::string::npos) {
      port_ = std::atoi(text.c_str() + pos + 8);
      options_.port = port_;  // a restart comes back on the same port
      if (auto m = text.find("\"metrics_port\": "); m != std::string::npos) {
        metrics_port_ = std::atoi(text.c_str() + m + 16);
      }
      std::ofstream(log_path_, std::ios::app) << ReadAll(run_log);
      return absl::OkStatus();
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ofstream(log_path_, std::ios::app) << ReadAll(run_log);
      return absl::InternalError("gateway exited during start-up:\n" + ReadAll(run_log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError("gateway did not become ready:\n" + ReadAll(run_log));
}

void GatewayProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  WaitExit(pid_, 10000);
  pid_ = -1;
}

int GatewayProcess::Terminate(int timeout_ms) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int rc = WaitExit(pid_, timeout_ms);
  if (rc >= 0) pid_ = -1;
  return rc;
}

bool GatewayProcess::Alive() const {
  if (pid_ <= 0) return false;
  siginfo_t info{};
  // WNOWAIT: look without reaping, so Terminate still sees the exit code.
  if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
  return info.si_pid == 0;
}

int64_t GatewayProcess::RssKib() const {
  if (pid_ <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

void GatewayProcess::Signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

std::string GatewayProcess::Log() const { return ReadAll(log_path_) + ReadAll(log_path_ + ".run"); }

std::unique_ptr<client::Client> GatewayProcess::ClientAs(const std::string& who, int receive_window_bytes) const {
  const DemoCerts& certs = DemoCerts::Get();
  client::ConnectionOptions opts;
  opts.server = address();
  opts.cert_file = certs.File(who + ".crt");
  opts.key_file = certs.File(who + ".key");
  opts.ca_file = certs.File("ca.crt");
  opts.timeout_ms = 5000;
  opts.receive_window_bytes = receive_window_bytes;
  auto c = client::Client::Connect(opts);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

std::vector<std::string> GatewayProcess::CliAs(const std::string& who) const {
  const DemoCerts& certs = DemoCerts::Get();
  return {BinPath("tsodso"),        "--server", address(),           "--cert", certs.File(who + ".crt"), "--key",
          certs.File(who + ".key"), "--ca",     certs.File("ca.crt")};
}

std::shared_ptr<grpc::Channel> OwnConnection(const std::string& address, const std::string& who,
                                             grpc::ChannelArguments args) {
  const DemoCerts& certs = DemoCerts::Get();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadAll(certs.File("ca.crt"));
  ssl.pem_private_key = ReadAll(certs.File(who + ".key"));
  ssl.pem_cert_chain = ReadAll(certs.File(who + ".crt"));
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

int RunCommand(const std::vector<std::string>& argv, std::string* out, std::string* err, int timeout_ms) {
  char out_tmpl[] = "/tmp/tsodso-cmd-out-XXXXXX";
  char err_tmpl[] = "/tmp/tsodso-cmd-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  int err_fd = mkstemp(err_tmpl);
  close(out_fd);
  close(err_fd);
  pid_t pid = Spawn(argv, out_tmpl, err_tmpl);
  int rc = WaitExit(pid, timeout_ms);
  if (rc < 0) {
    kill(pid, SIGKILL);
    WaitExit(pid, 5000);
  }
  if (out) *out = ReadAll(out_tmpl);
  if (err) *err = ReadAll(err_tmpl);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return rc;
}

}  // namespace tsodso::testing
