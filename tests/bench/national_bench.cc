// A national DSO across replicas, for docs/PERFORMANCE.md
// (tests/bench/run.sh): --pccs synthetic PCCs (support/national_case.h:
// networks of 161 to 289 buses from `grid synthesize`, each with its DER
// mix), whose grid-limited areas for 96 ISPs the real daemons compute and
// publish. For each replica count, a fresh database and that many daemons
// on it, each pinned to a core of its own (taskset -c 0, 1, ...), run for
// --seconds from the moment all listen; then the work table says how many
// PCCs each published and when.
//
//   tsodso_national_bench [--pccs 2000] [--seconds 120] [--replicas 1,2]
//
// Prints PCCs per minute, seconds per PCC on one core, the scaling over one
// replica, the national cycle extrapolated from the PCCs done, and the
// cores and 2-core machines that 2,000 PCCs every 15 minutes need. Exits
// non-zero when a daemon fails or a PCC's events do not match its cycles
// (each PCC published at most once per cycle, none missing); asserts no
// timing.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "store/pg.h"
#include "support/gateway_process.h"
#include "support/national_case.h"
#include "support/pg_cluster.h"
#include "support/temp_dir.h"

namespace tsodso {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kNationalPccs = 2000;
constexpr double kCycleSeconds = 900;  // one ISP

struct Run {
  int replicas = 0;
  int published = 0;    // PCCs whose first cycle was published
  double span_s = 0;    // from the first publication to the last
  double start_s = 0;   // until every replica listened
  int64_t rss_kib = 0;  // of the first replica, after the run
  std::map<std::string, int> by_replica;
  double per_minute() const { return published > 1 && span_s > 0 ? 60 * (published - 1) / span_s : 0; }
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Publish with `replicas` daemons for `seconds`; nullopt (after printing
// why) when something failed.
std::optional<Run> RunReplicas(const std::vector<testing::ExtraPcc>& pccs, int replicas, int seconds) {
  Run run;
  run.replicas = replicas;
  const std::string dsn = testing::PgCluster::Get().NewDatabase();
  std::vector<std::unique_ptr<testing::GatewayProcess>> daemons;
  const auto t0 = Clock::now();
  for (int r = 0; r < replicas; ++r) {
    testing::GatewayOptions options;
    options.dsn = dsn;
    options.extra_pccs = pccs;
    options.forecasts = false;  // flexibility only: the national case's cost
    options.cpu = r % static_cast<int>(std::thread::hardware_concurrency());
    daemons.push_back(std::make_unique<testing::GatewayProcess>(options));
  }
  // Started from this thread: a daemon dies with the thread that started
  // it (its parent-death signal).
  for (int r = 0; r < replicas; ++r) {
    if (auto st = daemons[r]->Start(); !st.ok()) {
      std::fprintf(stderr, "replica %d: %s\n", r, std::string(st.message()).c_str());
      return std::nullopt;
    }
  }
  run.start_s = Seconds(Clock::now() - t0);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  run.rss_kib = daemons[0]->RssKib();
  for (auto& d : daemons) {
    if (!d->Alive()) {
      std::fprintf(stderr, "a replica died:\n%s\n", d->Log().c_str());
      return std::nullopt;
    }
  }
  for (auto& d : daemons) d->Terminate();

  auto db = store::PgConnection::Open(dsn);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", std::string(db.status().message()).c_str());
    return std::nullopt;
  }
  auto who = (*db)->Exec(
      "SELECT published_by, count(*), extract(epoch FROM max(published_at) - min(published_at)) FROM pcc_work "
      "WHERE cycle >= 1 GROUP BY ROLLUP (published_by) ORDER BY published_by NULLS LAST");
  // Every PCC's events: one per cycle, and its DERs' own figures once
  // ahead of them (a new database).
  auto mismatched = (*db)->Exec(
      "SELECT count(*) FROM pcc_work w WHERE (SELECT count(*) FROM events e WHERE e.pcc_id = w.pcc_id) "
      "<> w.cycle + (w.preliminary_cycle IS NOT NULL)::int");
  auto twice = (*db)->Exec("SELECT count(*) FROM pcc_work WHERE cycle > 1");
  if (!who.ok() || !mismatched.ok() || !twice.ok()) {
    std::fprintf(stderr, "reading the work table failed\n");
    return std::nullopt;
  }
  for (int i = 0; i < who->rows(); ++i) {
    if (who->IsNull(i, 0)) {
      run.published = static_cast<int>(who->Int64(i, 1));
      run.span_s = who->IsNull(i, 2) ? 0 : who->Double(i, 2);
    } else {
      run.by_replica[who->Text(i, 0)] = static_cast<int>(who->Int64(i, 1));
    }
  }
  if (mismatched->Int64(0, 0) != 0 || twice->Int64(0, 0) != 0) {
    std::fprintf(stderr, "%lld PCC(s) whose events do not match their cycles, %lld published twice\n",
                 static_cast<long long>(mismatched->Int64(0, 0)), static_cast<long long>(twice->Int64(0, 0)));
    return std::nullopt;
  }
  // Which replica gets which PCC is a matter of timing: a short run on a
  // loaded machine may leave one without any, which is no error.
  if (static_cast<int>(run.by_replica.size()) != replicas) {
    std::fprintf(stderr, "note: %d replica(s) ran but %zu published\n", replicas, run.by_replica.size());
  }
  return run;
}

}  // namespace
}  // namespace tsodso

int main(int argc, char** argv) {
  using namespace tsodso;
  int pccs = 2000, seconds = 120;
  std::vector<int> replica_counts = {1, 2};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--pccs" && i + 1 < argc) {
      pccs = std::atoi(argv[++i]);
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atoi(argv[++i]);
    } else if (arg == "--replicas" && i + 1 < argc) {
      replica_counts.clear();
      for (absl::string_view n : absl::StrSplit(argv[++i], ',')) {
        int r = 0;
        if (absl::SimpleAtoi(n, &r) && r > 0) replica_counts.push_back(r);
      }
    } else {
      std::fprintf(stderr, "usage: %s [--pccs N] [--seconds S] [--replicas 1,2]\n", argv[0]);
      return 2;
    }
  }
  testing::TempDir dir("national");
  const auto t0 = Clock::now();
  auto national = testing::WriteNationalCase(dir.path(), pccs);
  if (!national.ok()) {
    std::fprintf(stderr, "%s\n", std::string(national.status().message()).c_str());
    return 1;
  }
  std::printf("national case: %d PCCs written in %.1f s (networks of 161 to 289 buses, 96 ISPs each)\n", pccs,
              Seconds(Clock::now() - t0));
  std::printf("%8s %10s %9s %12s %12s %12s %10s %14s %9s\n", "replicas", "start s", "PCCs", "PCCs/min", "s/PCC/core",
              "scaling", "RSS MiB", "national cycle", "per replica");
  double one = 0;
  for (int replicas : replica_counts) {
    auto run = RunReplicas(*national, replicas, seconds);
    if (!run) return 1;
    const double rate = run->per_minute();
    if (replicas == 1) one = rate;
    const double per_pcc = rate > 0 ? 60.0 * replicas / rate : 0;
    std::string split;
    for (const auto& [name, n] : run->by_replica) split += (split.empty() ? "" : "/") + std::to_string(n);
    std::printf("%8d %10.1f %9d %12.1f %12.2f %12s %10.0f %12.1f min %9s\n", replicas, run->start_s, run->published,
                rate, per_pcc, one > 0 ? (std::to_string(rate / one).substr(0, 4) + "x").c_str() : "-",
                run->rss_kib / 1024.0, rate > 0 ? kNationalPccs / rate : 0, split.c_str());
    if (replicas == replica_counts.back() && rate > 0) {
      // One replica per core: the cores that keep 2,000 PCCs within one ISP.
      const double cores = kNationalPccs * per_pcc / kCycleSeconds;
      std::printf(
          "2,000 PCCs every 15 min at %.2f s per PCC: %.1f cores busy, i.e. %d machines of 2 cores "
          "(%d with a third spare for a lost machine and peaks)\n",
          per_pcc, cores, static_cast<int>(std::ceil(cores / 2)), static_cast<int>(std::ceil(cores * 1.5 / 2)));
    }
  }
  return 0;
}
