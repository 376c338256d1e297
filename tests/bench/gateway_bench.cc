// Figures of the real daemon for docs/PERFORMANCE.md (tests/bench/run.sh):
//
// - publish: PublishNotice calls on one connection (one channel, 1 and 8
//   threads): calls per second and the daemon's CPU time per call (user +
//   system, from /proc; PostgreSQL's own time is not included).
// - publishers: PublishNotice from 1, 8 and 64 publishers at once, each on a
//   connection of its own: publishes per second, latency, the daemon's CPU
//   per publish; then the event log must hold exactly the acknowledged
//   events, numbered without gaps, and the audit chain must verify. With
//   --before DAEMON, another build's daemon runs the same phases beside
//   this build's, on a database of its own, phase by phase in turn.
// - startup: time from the gateway listening to its first FLEXIBILITY event
//   for PS Sud (the DERs' figures) and to the one with the grid-limited
//   figures, on a quiet machine and with every core kept busy by spinning
//   threads.
//
//   tsodso_gateway_bench [--calls N] [--skip-startup] [--publishers 1,8,64]
//                        [--seconds S] [--before DAEMON]
//
// Exits non-zero when a call fails or an event does not come.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/phase.h"
#include "store/audit_store.h"
#include "store/pg.h"
#include "support/feed_collector.h"
#include "support/gateway_process.h"
#include "support/pg_cluster.h"

namespace tsodso {
namespace {

using Clock = std::chrono::steady_clock;
using testing::GatewayOptions;
using testing::GatewayProcess;

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
    const double cpu0 = bench::ProcessCpuSeconds(pid);
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
    const double cpu = bench::ProcessCpuSeconds(pid) - cpu0;
    std::printf("%8d %12.0f %13.0f us\n", threads, calls / seconds, cpu / calls * 1e6);
    if (failed > 0) {
      std::fprintf(stderr, "%d calls failed\n", failed.load());
      ok = false;
    }
  }
  return ok && gw.Terminate() == 0;
}

// A daemon the publishers phases run against, on a database of its own.
struct PublishTarget {
  std::string name;
  std::string dsn;
  std::unique_ptr<GatewayProcess> process;
  pid_t pid = -1;
  std::vector<std::unique_ptr<client::Client>> clients;  // one connection per publisher
  std::set<int64_t> seqs;                                // every acknowledged event
  std::mutex mu;
};

std::unique_ptr<PublishTarget> StartTarget(const std::string& name, const std::string& daemon, int publishers) {
  auto t = std::make_unique<PublishTarget>();
  t->name = name;
  t->dsn = testing::PgCluster::Get().NewDatabase();
  GatewayOptions options;
  options.daemon = daemon;
  options.dsn = t->dsn;
  options.pool_size = 4;  // as config/gateway.yaml
  t->process = std::make_unique<GatewayProcess>(options);
  if (auto st = t->process->Start(); !st.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(st.message()).c_str());
    return nullptr;
  }
  t->pid = DaemonPid(*t->process);
  for (int i = 0; i < publishers; ++i) t->clients.push_back(t->process->ClientAs("operator"));
  return t;
}

// The event log holds exactly the acknowledged events, 1..N without gaps,
// and the audit chain verifies; then stop the daemon.
bool CheckTarget(PublishTarget& t) {
  auto db = store::PgConnection::Open(t.dsn);
  if (!db.ok()) return false;
  auto rows = (*db)->Exec("SELECT count(*), coalesce(max(seq), 0), (SELECT last_seq FROM event_seq) FROM events");
  auto chain = store::VerifyAuditLog(**db);
  const int64_t count = rows.ok() ? rows->Int64(0, 0) : -1;
  const int64_t max_seq = rows.ok() ? rows->Int64(0, 1) : -1;
  const int64_t head = rows.ok() ? rows->Int64(0, 2) : -1;
  const bool exact = static_cast<int64_t>(t.seqs.size()) == count && count == max_seq && head == max_seq &&
                     (t.seqs.empty() || (*t.seqs.begin() == 1 && *t.seqs.rbegin() == max_seq));
  std::printf(
      "%s: %zu events acknowledged, %lld stored, seq 1..%lld%s; audit chain %s\n", t.name.c_str(), t.seqs.size(),
      static_cast<long long>(count), static_cast<long long>(max_seq), exact ? " without gaps" : " DOES NOT MATCH",
      chain.ok() ? absl::StrCat("verified, ", chain->records, " records").c_str() : chain.status().ToString().c_str());
  return exact && chain.ok() && t.process->Terminate() == 0;
}

bool Publishers(const std::vector<int>& counts, double seconds, const std::string& before) {
  const int most = *std::max_element(counts.begin(), counts.end());
  std::vector<std::unique_ptr<PublishTarget>> targets;
  if (!before.empty()) targets.push_back(StartTarget("before", before, most));
  targets.push_back(StartTarget("this build", "", most));
  for (const auto& t : targets) {
    if (t == nullptr) return false;
  }
  std::printf("PublishNotice from concurrent publishers, one connection each, %.0f s per phase\n", seconds);
  std::printf("| daemon | publishers | publishes/s | p50 / p99 ms | daemon CPU per publish | machine busy |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  bool ok = true;
  for (int n : counts) {
    for (const auto& target : targets) {
      PublishTarget& t = *target;
      std::atomic<int> serial{0};
      auto publish = [&](int c) -> absl::Status {
        v1::PublishNoticeRequest req;
        req.set_idempotency_key(absl::StrCat("bench-", n, "-", c, "-", serial++, "-", getpid()));
        req.set_severity(v1::SEVERITY_INFO);
        req.set_text("bench notice");
        auto r = t.clients[c]->PublishNotice(req);
        if (!r.ok()) return r.status();
        std::lock_guard lock(t.mu);
        t.seqs.insert(r->event_seqs().begin(), r->event_seqs().end());
        return absl::OkStatus();
      };
      const bench::PhaseResult warm = bench::RunPhase(n, 0, 1, publish);
      const double cpu0 = bench::ProcessCpuSeconds(t.pid);
      const bench::PhaseResult r = warm.error.empty() ? bench::RunPhase(n, seconds, 0, publish) : warm;
      const double cpu = bench::ProcessCpuSeconds(t.pid) - cpu0;
      std::printf("| %s | %d | %.0f | %.1f / %.1f | %.0f us | %.0f %% |\n", t.name.c_str(), n, r.rate(), r.p50_ms,
                  r.p99_ms, r.done > 0 ? cpu / r.done * 1e6 : 0.0, 100 * r.cpu_busy);
      if (!r.error.empty()) {
        std::fprintf(stderr, "%s: publish failed: %s\n", t.name.c_str(), r.error.c_str());
        ok = false;
      }
    }
  }
  for (const auto& t : targets) ok = CheckTarget(*t) && ok;
  return ok;
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
  std::vector<int> publishers = {1, 8, 64};
  double seconds = 5;
  std::string before;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--calls" && i + 1 < argc) {
      calls = std::atoi(argv[++i]);
    } else if (arg == "--skip-startup") {
      startup = false;
    } else if (arg == "--publishers" && i + 1 < argc) {
      publishers.clear();
      for (absl::string_view part : absl::StrSplit(argv[++i], ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 256) n = 0;
        publishers.push_back(n);
      }
      if (std::count(publishers.begin(), publishers.end(), 0) > 0) publishers.clear();
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--before" && i + 1 < argc) {
      before = argv[++i];
    } else {
      publishers.clear();
    }
    if (publishers.empty() || seconds <= 0) {
      std::fprintf(stderr,
                   "usage: %s [--calls N] [--skip-startup] [--publishers 1,8,64] [--seconds S] [--before DAEMON]\n",
                   argv[0]);
      return 2;
    }
  }
  bool ok = tsodso::Publish(calls);
  std::printf("\n");
  ok = tsodso::Publishers(publishers, seconds, before) && ok;
  if (startup) {
    std::printf("\nPS Sud's FLEXIBILITY events after the gateway listens\n");
    std::printf("%-28s %12s %18s\n", "machine", "DER figures", "grid-limited");
    ok = tsodso::Startup(false) && ok;
    ok = tsodso::Startup(true) && ok;
  }
  return ok ? 0 : 1;
}
