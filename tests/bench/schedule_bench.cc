// Schedule submissions per second, side by side in one run: through the
// real gateway (mTLS, real client library, every submission acknowledged
// after COMMIT) and as a plain libpq insert of the same rows into the same
// PostgreSQL (one transaction per schedule: the schedules row and its 96
// intervals, synchronous_commit on), each with 1, 8 and 64 concurrent
// clients. A control runs the plain insert again with one row that every
// transaction updates just before COMMIT (what the gateway's event sequence
// and audit head are). Run `tests/bench/run.sh` for the figures in
// docs/PERFORMANCE.md.
//
//   tsodso_schedule_bench [--clients 1,8,64] [--seconds 6] [--count N]
//                         [--pool_size 4]
//
// --count N makes every client submit N schedules instead of running for a
// time (the ctest entry uses it to prove the benchmark runs). The exit code
// is non-zero when any submission fails or the stored rows or the audit
// chain do not match what was acknowledged.
#include <google/protobuf/util/time_util.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "store/audit_store.h"
#include "store/migrations.h"
#include "store/pg.h"
#include "store/schedule_store.h"
#include "support/gateway_process.h"
#include "support/pg_cluster.h"
#include "tsodso/v1/schedule.pb.h"

namespace tsodso {
namespace {

constexpr int kIntervals = 96;

constexpr char kEnsureHead[] = "INSERT INTO schedule_heads (portfolio_id) VALUES ($1) ON CONFLICT DO NOTHING";
// The control: one row every transaction updates just before COMMIT, as the
// gateway's event sequence and audit head are, so that it is locked from
// there until the commit is durable.
constexpr char kCreateHotRow[] = "CREATE TABLE bench_hot_row (n bigint NOT NULL); INSERT INTO bench_hot_row VALUES (0)";
constexpr char kTouchHotRow[] = "UPDATE bench_hot_row SET n = n + 1";

struct Args {
  std::vector<int> clients = {1, 8, 64};
  double seconds = 6;
  int count = 0;  // > 0: a fixed number of submissions per client
  int pool_size = 4;
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << why << "\nusage: tsodso_schedule_bench [--clients 1,8,64] [--seconds S] [--count N] [--pool_size N]\n";
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(flag + ": needs a value");
    const std::string value = argv[++i];
    bool ok = true;
    if (flag == "--clients") {
      a.clients.clear();
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int n = 0;
        ok = ok && absl::SimpleAtoi(part, &n) && n >= 1 && n <= 64;
        a.clients.push_back(n);
      }
    } else if (flag == "--seconds") {
      ok = absl::SimpleAtod(value, &a.seconds) && a.seconds > 0;
    } else if (flag == "--count") {
      ok = absl::SimpleAtoi(value, &a.count) && a.count >= 1;
    } else if (flag == "--pool_size") {
      ok = absl::SimpleAtoi(value, &a.pool_size) && a.pool_size >= 1 && a.pool_size <= 64;
    } else {
      Usage(flag + ": unknown flag");
    }
    if (!ok) Usage(flag + ": '" + value + "' is not a valid value");
  }
  return a;
}

std::string Portfolio(int client) { return absl::StrCat("agg1-sud-bench-", client); }

// The start of tomorrow, UTC: a day of quarter hours there is always inside
// the accepted horizon.
int64_t Tomorrow() {
  const int64_t now = std::time(nullptr);
  return now - now % 86400 + 86400;
}

// A day of quarter hours for `portfolio`, Q on every other interval.
v1::SubmitScheduleRequest Schedule(const std::string& portfolio, int64_t revision) {
  v1::SubmitScheduleRequest r;
  r.set_idempotency_key(absl::StrCat("bench-", portfolio, "-", revision, "-", getpid()));
  r.set_portfolio_id(portfolio);
  r.set_pcc_id("PS_SUD");
  r.set_resolution_minutes(15);
  r.set_revision(revision);
  const int64_t first = Tomorrow();
  for (int i = 0; i < kIntervals; ++i) {
    auto* v = r.add_intervals();
    v->mutable_start()->set_seconds(first + 900 * i);
    v->set_p_mw(2.0 + 0.1 * (i % 10));
    if (i % 2 == 0) v->set_q_mvar(-0.5);
  }
  return r;
}

// The receipt the gateway stores with a schedule, as bytes.
std::string Receipt(const v1::SubmitScheduleRequest& r, absl::Time now) {
  v1::ScheduleReceipt receipt;
  receipt.set_portfolio_id(r.portfolio_id());
  receipt.set_pcc_id(r.pcc_id());
  receipt.set_revision(r.revision());
  receipt.set_status(v1::RECEIPT_STATUS_ACCEPTED);
  receipt.mutable_received_at()->set_seconds(absl::ToUnixSeconds(now));
  receipt.mutable_start()->set_seconds(r.intervals(0).start().seconds());
  receipt.mutable_end()->set_seconds(r.intervals(kIntervals - 1).start().seconds() + 900);
  receipt.set_interval_count(kIntervals);
  std::string out;
  receipt.SerializeToString(&out);
  return out;
}

// The rows of one schedule through libpq, as the gateway's store writes
// them, in one transaction of its own; with `hot_row`, the control's row is
// updated last.
// The same rows as the gateway stores, written by the same store code, in
// one transaction per schedule: only the gateway is left out.
absl::Status PlainInsert(store::PgConnection& db, const v1::SubmitScheduleRequest& r, bool hot_row) {
  core::Schedule schedule;
  schedule.portfolio_id = r.portfolio_id();
  schedule.pcc_id = r.pcc_id();
  schedule.revision = r.revision();
  schedule.submitted_by = "agg-1";
  for (const v1::ScheduleInterval& v : r.intervals()) {
    core::ScheduleValue value{absl::FromUnixSeconds(v.start().seconds()), v.p_mw(), std::nullopt};
    if (v.has_q_mvar()) value.q_mvar = v.q_mvar();
    schedule.intervals.push_back(value);
  }
  const absl::Time now = absl::Now();
  return store::InTransaction(db, [&]() -> absl::Status {
    if (auto st = store::InsertSchedule(db, schedule, now, Receipt(r, now)); !st.ok() || !hot_row) return st;
    return db.Exec(kTouchHotRow).status();
  });
}

// Busy and total jiffies of the whole machine, from /proc/stat.
std::pair<int64_t, int64_t> CpuJiffies() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  const int64_t busy = user + nice + system + irq + softirq + steal;
  return {busy, busy + idle + iowait};
}

// User and system CPU time of this process so far.
double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct PhaseResult {
  int64_t done = 0;
  double seconds = 0;
  double cpu_busy = 0;  // share of all cores busy during the phase, 0..1
  // CPU time per submission of this process (the clients) and of the rest
  // of the machine (gateway and PostgreSQL), ms.
  double client_cpu_ms = 0;
  double server_cpu_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::string error;  // the first failure, if any
  double rate() const { return seconds > 0 ? done / seconds : 0; }
};

// Run `submit(client)` from `clients` threads at once, for a fixed count
// each or until the time is up; a submission's latency is its call.
PhaseResult RunPhase(int clients, const Args& args, const std::function<absl::Status(int)>& submit) {
  std::vector<std::vector<double>> latencies(clients);
  std::mutex mu;
  PhaseResult out;
  std::atomic<bool> go{false};
  std::atomic<bool> failed{false};
  std::atomic<int> ready{0};
  using Clock = std::chrono::steady_clock;
  const auto budget = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.seconds));
  Clock::time_point start;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      const auto deadline = start + budget;
      for (int i = 0; args.count > 0 ? i < args.count : Clock::now() < deadline; ++i) {
        if (failed.load()) return;
        const auto t0 = Clock::now();
        absl::Status st = submit(c);
        const auto t1 = Clock::now();
        if (!st.ok()) {
          std::lock_guard lock(mu);
          if (out.error.empty()) out.error = absl::StrCat("client ", c, ": ", st.ToString());
          failed.store(true);
          return;
        }
        latencies[c].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    });
  }
  while (ready.load() < clients) std::this_thread::yield();
  const auto cpu_before = CpuJiffies();
  const double self_before = SelfCpuSeconds();
  start = Clock::now();
  go.store(true);
  for (auto& t : threads) t.join();
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto cpu_after = CpuJiffies();
  const double self_seconds = SelfCpuSeconds() - self_before;
  if (cpu_after.second > cpu_before.second) {
    out.cpu_busy = static_cast<double>(cpu_after.first - cpu_before.first) / (cpu_after.second - cpu_before.second);
  }
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  out.done = static_cast<int64_t>(all.size());
  if (out.done > 0) {
    const double busy_seconds = static_cast<double>(cpu_after.first - cpu_before.first) / sysconf(_SC_CLK_TCK);
    out.client_cpu_ms = 1000 * self_seconds / out.done;
    out.server_cpu_ms = 1000 * std::max(0.0, busy_seconds - self_seconds) / out.done;
  }
  if (!all.empty()) {
    std::sort(all.begin(), all.end());
    out.p50_ms = all[all.size() / 2];
    out.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return out;
}

std::string Machine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return absl::StrCat(std::thread::hardware_concurrency(), " cores, ", model);
}

std::string Show(store::PgConnection& db, const std::string& sql) {
  auto r = db.Exec(sql);
  return r.ok() && r->rows() > 0 ? r->Text(0, 0) : "?";
}

int Run(const Args& args) {
  const int max_clients = *std::max_element(args.clients.begin(), args.clients.end());
  testing::PgCluster& cluster = testing::PgCluster::Get();
  const std::string gateway_dsn = cluster.NewDatabase();
  const std::string plain_dsn = cluster.NewDatabase();
  if (gateway_dsn.empty() || plain_dsn.empty()) return 1;

  testing::GatewayOptions options;
  options.dsn = gateway_dsn;
  options.pool_size = args.pool_size;
  options.extra_agg1_portfolios = max_clients;
  testing::GatewayProcess gateway(options);
  if (auto st = gateway.Start(); !st.ok()) {
    std::cerr << "gateway: " << st << "\n";
    return 1;
  }
  std::vector<std::unique_ptr<client::Client>> clients;
  for (int c = 0; c < max_clients; ++c) {
    clients.push_back(gateway.ClientAs("agg1"));
    if (clients.back() == nullptr) return 1;
  }

  // The plain side: the gateway's schema in a fresh database of the same
  // cluster, one connection per client, each portfolio's head row present
  // (the schedules table refers to it).
  auto admin = store::PgConnection::Open(plain_dsn);
  if (!admin.ok()) {
    std::cerr << "plain database: " << admin.status() << "\n";
    return 1;
  }
  if (auto m = store::Migrate(**admin); !m.ok()) {
    std::cerr << "plain database: " << m.status() << "\n";
    return 1;
  }
  if (auto st = (*admin)->ExecScript(kCreateHotRow); !st.ok()) {
    std::cerr << "plain database: " << st << "\n";
    return 1;
  }
  std::vector<std::unique_ptr<store::PgConnection>> conns;
  for (int c = 0; c < max_clients; ++c) {
    auto conn = store::PgConnection::Open(plain_dsn);
    if (!conn.ok()) {
      std::cerr << "plain connection " << c << ": " << conn.status() << "\n";
      return 1;
    }
    conns.push_back(std::move(*conn));
    if (auto r = conns.back()->Exec(kEnsureHead, {Portfolio(c)}); !r.ok()) {
      std::cerr << "plain database: " << r.status() << "\n";
      return 1;
    }
  }

  std::cout << "machine: " << Machine() << "\n"
            << "PostgreSQL: " << Show(**admin, "SHOW server_version") << ", fsync " << Show(**admin, "SHOW fsync")
            << ", synchronous_commit " << Show(**admin, "SHOW synchronous_commit") << ", wal_sync_method "
            << Show(**admin, "SHOW wal_sync_method") << "\n"
            << "gateway: database.pool_size " << args.pool_size << "; "
            << (args.count > 0 ? absl::StrCat(args.count, " schedules per client")
                               : absl::StrCat(args.seconds, " s per phase"))
            << "; " << kIntervals << " intervals per schedule\n\n";

  // Revisions rise per portfolio across phases; the same request is built
  // for both sides.
  std::vector<int64_t> gateway_revision(max_clients, 0);
  std::vector<int64_t> plain_revision(max_clients, 0);
  auto via_gateway = [&](int c) -> absl::Status {
    return clients[c]->SubmitSchedule(Schedule(Portfolio(c), ++gateway_revision[c])).status();
  };
  auto via_libpq = [&](int c) -> absl::Status {
    return PlainInsert(*conns[c], Schedule(Portfolio(c), ++plain_revision[c]), false);
  };
  auto via_libpq_hot_row = [&](int c) -> absl::Status {
    return PlainInsert(*conns[c], Schedule(Portfolio(c), ++plain_revision[c]), true);
  };

  int64_t acknowledged = 0;
  bool failed = false;
  std::printf(
      "| clients | gateway schedules/s | plain schedules/s | ratio | gateway p50 / p99 ms | plain p50 / p99 ms | "
      "plain + one hot row, schedules/s | CPU busy, gateway / plain | CPU ms per schedule, gateway: clients + "
      "server | plain: clients + server |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int n : args.clients) {
    // One untimed submission per client first: TLS handshakes, first
    // connections and plans are not what is measured.
    Args once = args;
    once.count = 1;
    PhaseResult warm_gateway = RunPhase(n, once, via_gateway);
    PhaseResult warm_plain = RunPhase(n, once, via_libpq);
    PhaseResult gw = warm_gateway.error.empty() ? RunPhase(n, args, via_gateway) : warm_gateway;
    PhaseResult plain = warm_plain.error.empty() ? RunPhase(n, args, via_libpq) : warm_plain;
    PhaseResult hot = plain.error.empty() ? RunPhase(n, args, via_libpq_hot_row) : plain;
    acknowledged += warm_gateway.done + (gw.error.empty() ? gw.done : 0);
    std::printf(
        "| %d | %.0f | %.0f | %.2f | %.1f / %.1f | %.1f / %.1f | %.0f | %.0f %% / %.0f %% | %.2f + %.2f | %.2f + "
        "%.2f |\n",
        n, gw.rate(), plain.rate(), plain.rate() > 0 ? gw.rate() / plain.rate() : 0.0, gw.p50_ms, gw.p99_ms,
        plain.p50_ms, plain.p99_ms, hot.rate(), 100 * gw.cpu_busy, 100 * plain.cpu_busy, gw.client_cpu_ms,
        gw.server_cpu_ms, plain.client_cpu_ms, plain.server_cpu_ms);
    std::fflush(stdout);
    for (const std::string& e : {gw.error, plain.error, hot.error}) {
      if (!e.empty()) {
        std::cerr << "submission failed: " << e << "\n";
        failed = true;
      }
    }
    if (failed) break;
  }

  // What was acknowledged is what is stored, and the audit chain holds.
  auto check = store::PgConnection::Open(gateway_dsn);
  if (!check.ok()) {
    std::cerr << "gateway database: " << check.status() << "\n";
    return 1;
  }
  const std::string schedules =
      Show(**check, "SELECT count(*) FROM schedules WHERE portfolio_id LIKE 'agg1-sud-bench-%'");
  const std::string intervals =
      Show(**check, "SELECT count(*) FROM schedule_intervals WHERE portfolio_id LIKE 'agg1-sud-bench-%'");
  auto chain = store::VerifyAuditLog(**check);
  std::cout << "\ngateway database: " << schedules << " schedules, " << intervals << " intervals stored; "
            << acknowledged << " acknowledged; audit chain "
            << (chain.ok() ? absl::StrCat("verified, ", chain->records, " records") : chain.status().ToString())
            << "\n";
  if (!failed && (schedules != absl::StrCat(acknowledged) || intervals != absl::StrCat(acknowledged * kIntervals) ||
                  !chain.ok())) {
    std::cerr << "stored rows or audit chain do not match what was acknowledged\n";
    failed = true;
  }
  if (gateway.Terminate() != 0) {
    std::cerr << "gateway did not stop cleanly:\n" << gateway.Log() << "\n";
    failed = true;
  }
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace tsodso

int main(int argc, char** argv) { return tsodso::Run(tsodso::ParseArgs(argc, argv)); }
