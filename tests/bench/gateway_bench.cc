// Figures of the real daemon for docs/PERFORMANCE.md (tests/bench/run.sh):
//
// - publish: PublishNotice calls on one connection (one channel, 1 and 8
//   threads): calls per second and the daemon's CPU time per call (user +
//   system, from /proc; PostgreSQL's own time is not included).
// - startup: time from the gateway listening to its first FLEXIBILITY event
//   for PS Sud (the DERs' figures) and to the one with the grid-limited
//   figures, on a quiet machine and with every core kept busy by spinning
//   threads.
//
//   tsodso_gateway_bench [--calls N] [--skip-startup]
//
// Exits non-zero when a call fails or an event does not come.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/feed_collector.h"
#include "support/gateway_process.h"
#include "support/pg_cluster.h"

namespace tsodso {
namespace {

using Clock = std::chrono::steady_clock;
using testing::GatewayOptions;
using testing::GatewayProcess;

// CPU seconds (user + system) the process has used.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start at ") ".
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

pid_t DaemonPid(const GatewayProcess& gw) {
  std::ifstream in(std::filesystem::path(gw.config_path()).parent_path() / "ready.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto pos = text.find("\"pid\": ");
  return pos == std::string::npos ? -1 : std::atoi(text.c_str() + pos + 7);
}

bool Publish(int calls) {
  GatewayOptions options;
  options.dsn = testing::PgCluster::Get().NewDatabase();
  GatewayProcess gw(options);
  if (auto st = gw.Start(); !st.ok()) {
    std::fprintf(stderr, "gateway: %s\n", std::string(st.message()).c_str());
    return false;
  }
  const pid_t pid = DaemonPid(gw);
  auto op = gw.ClientAs("operator");  // one channel: every thread's calls share its connection
  std::printf("PublishNotice on one connection, %d calls each run\n", calls);
  std::printf("%8s %12s %16s\n", "threads", "calls/s", "daemon CPU/call");
  bool ok = true;
  for (int threads : {1, 8}) {
    std::atomic<int> next{0}, failed{0};
    const double cpu0 = CpuSeconds(pid);
    const auto t0 = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        while (next++ < calls) {
          v1::PublishNoticeRequest req;
          req.set_idempotency_key("bench-" + std::to_string(threads) + "-" + std::to_string(next.load()) + "-" +
                                  std::to_string(std::rand()));
          req.set_severity(v1::SEVERITY_INFO);
          req.set_text("bench notice");
          if (!op->PublishNotice(req).ok()) ++failed;
        }
      });
    }
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = CpuSeconds(pid) - cpu0;
    std::printf("%8d %12.0f %13.0f us\n", threads, calls / seconds, cpu / calls * 1e6);
    if (failed > 0) {
      std::fprintf(stderr, "%d calls failed\n", failed.load());
      ok = false;
    }
  }
  return ok && gw.Terminate() == 0;
}

// Seconds from listening to PS Sud's first FLEXIBILITY event and to the
// one with the grid-limited figures.
bool Startup(bool busy) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> hogs;
  if (busy) {
    for (unsigned i = 0; i < std::thread::hardware_concurrency(); ++i) {
      hogs.emplace_back([&] {
        unsigned long spin = 0;
        while (!stop.load(std::memory_order_relaxed)) spin = spin * 31 + 1;
        (void)spin;
      });
    }
  }
  GatewayOptions options;
  options.dsn = testing::PgCluster::Get().NewDatabase();
  options.flexibility = true;
  options.grid_model_dir = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud";
  GatewayProcess gw(options);
  bool ok = gw.Start().ok();
  const auto listening = Clock::now();
  double first = -1, full = -1;
  if (ok) {
    v1::SubscribeRequest only_flex;
    only_flex.add_topics(v1::TOPIC_FLEXIBILITY);
    testing::FeedCollector tso(gw, "tso", only_flex);
    ok = tso.WaitForEvents(1, 120000);
    first = std::chrono::duration<double>(Clock::now() - listening).count();
    ok = ok && tso.WaitForEvents(2, 300000);
    full = std::chrono::duration<double>(Clock::now() - listening).count();
    ok = ok && tso.events()[0].flexibility().grid_limited_pending();
  }
  stop = true;
  for (auto& h : hogs) h.join();
  std::printf("%-28s %10.2f s %16.2f s\n", busy ? "every core busy" : "quiet", first, full);
  return ok && gw.Terminate() == 0;
}

}  // namespace
}  // namespace tsodso

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures as they come, also into a file
  int calls = 5000;
  bool startup = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--calls" && i + 1 < argc) {
      calls = std::atoi(argv[++i]);
    } else if (arg == "--skip-startup") {
      startup = false;
    } else {
      std::fprintf(stderr, "usage: %s [--calls N] [--skip-startup]\n", argv[0]);
      return 2;
    }
  }
  bool ok = tsodso::Publish(calls);
  if (startup) {
    std::printf("\nPS Sud's FLEXIBILITY events after the gateway listens\n");
    std::printf("%-28s %12s %18s\n", "machine", "DER figures", "grid-limited");
    ok = tsodso::Startup(false) && ok;
    ok = tsodso::Startup(true) && ok;
  }
  return ok ? 0 : 1;
}
