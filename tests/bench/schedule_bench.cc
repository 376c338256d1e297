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
//                         [--pool_size 4] [--before DAEMON]
//
// --before DAEMON runs a second gateway, another build's daemon binary, on a
// database of its own through the same phases, so that two builds are
// compared in one run.
// --count N makes every client submit N schedules instead of running for a
// time (the ctest entry uses it to prove the benchmark runs). The exit code
// is non-zero when any submission fails or the stored rows or the audit
// chain do not match what was acknowledged.
#include <google/protobuf/util/time_util.h>
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
#include "bench/phase.h"
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
  std::string before;  // another build's daemon, run side by side
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << why
            << "\nusage: tsodso_schedule_bench [--clients 1,8,64] [--seconds S] [--count N] [--pool_size N] [--before "
               "DAEMON]\n";
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
    } else if (flag == "--before") {
      a.before = value;
      ok = !value.empty() && access(value.c_str(), X_OK) == 0;
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

// A gateway under test: its daemon, its own database, a client per bench
// client, the revision each portfolio is at, what it acknowledged.
struct GatewaySide {
  std::string dsn;
  std::unique_ptr<testing::GatewayProcess> process;
  std::vector<std::unique_ptr<client::Client>> clients;
  std::vector<int64_t> revision;
  int64_t acknowledged = 0;
};

// Start `daemon` (empty: this build's) on a fresh database of the cluster
// with one client per bench client.
std::unique_ptr<GatewaySide> StartGateway(const Args& args, int max_clients, const std::string& daemon) {
  auto side = std::make_unique<GatewaySide>();
  side->dsn = testing::PgCluster::Get().NewDatabase();
  if (side->dsn.empty()) return nullptr;
  testing::GatewayOptions options;
  options.daemon = daemon;
  options.dsn = side->dsn;
  options.pool_size = args.pool_size;
  options.extra_agg1_portfolios = max_clients;
  side->process = std::make_unique<testing::GatewayProcess>(options);
  if (auto st = side->process->Start(); !st.ok()) {
    std::cerr << "gateway " << (daemon.empty() ? "(this build)" : daemon) << ": " << st << "\n";
    return nullptr;
  }
  for (int c = 0; c < max_clients; ++c) {
    side->clients.push_back(side->process->ClientAs("agg1"));
    if (side->clients.back() == nullptr) return nullptr;
  }
  side->revision.assign(max_clients, 0);
  return side;
}

// Check that `side`'s database holds exactly the acknowledged schedules and
// that its audit chain verifies; stop its daemon. False on any mismatch.
bool CheckAndStop(GatewaySide& side, const std::string& name) {
  bool ok = true;
  auto check = store::PgConnection::Open(side.dsn);
  if (!check.ok()) {
    std::cerr << name << " database: " << check.status() << "\n";
    return false;
  }
  const std::string schedules =
      Show(**check, "SELECT count(*) FROM schedules WHERE portfolio_id LIKE 'agg1-sud-bench-%'");
  const std::string intervals =
      Show(**check, "SELECT count(*) FROM schedule_intervals WHERE portfolio_id LIKE 'agg1-sud-bench-%'");
  auto chain = store::VerifyAuditLog(**check);
  std::cout << name << " database: " << schedules << " schedules, " << intervals << " intervals stored; "
            << side.acknowledged << " acknowledged; audit chain "
            << (chain.ok() ? absl::StrCat("verified, ", chain->records, " records") : chain.status().ToString())
            << "\n";
  if (schedules != absl::StrCat(side.acknowledged) || intervals != absl::StrCat(side.acknowledged * kIntervals) ||
      !chain.ok()) {
    std::cerr << name << ": stored rows or audit chain do not match what was acknowledged\n";
    ok = false;
  }
  if (side.process->Terminate() != 0) {
    std::cerr << name << " did not stop cleanly:\n" << side.process->Log() << "\n";
    ok = false;
  }
  return ok;
}

int Run(const Args& args) {
  const int max_clients = *std::max_element(args.clients.begin(), args.clients.end());
  const std::string plain_dsn = testing::PgCluster::Get().NewDatabase();
  if (plain_dsn.empty()) return 1;
  std::unique_ptr<GatewaySide> gateway = StartGateway(args, max_clients, "");
  if (gateway == nullptr) return 1;
  std::unique_ptr<GatewaySide> before;
  if (!args.before.empty()) {
    before = StartGateway(args, max_clients, args.before);
    if (before == nullptr) return 1;
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
            << "; " << kIntervals << " intervals per schedule" << (before ? "; before: " + args.before : std::string())
            << "\n\n";

  // Revisions rise per portfolio across phases; the same request is built
  // for both sides.
  std::vector<int64_t> plain_revision(max_clients, 0);
  auto via = [](GatewaySide& side) {
    return [&side](int c) -> absl::Status {
      return side.clients[c]->SubmitSchedule(Schedule(Portfolio(c), ++side.revision[c])).status();
    };
  };
  auto via_libpq = [&](int c) -> absl::Status {
    return PlainInsert(*conns[c], Schedule(Portfolio(c), ++plain_revision[c]), false);
  };
  auto via_libpq_hot_row = [&](int c) -> absl::Status {
    return PlainInsert(*conns[c], Schedule(Portfolio(c), ++plain_revision[c]), true);
  };
  // One untimed call per client first (TLS handshakes, first connections
  // and plans are not what is measured), then the timed phase.
  auto measure = [&](int n, const std::function<absl::Status(int)>& call, int64_t* acknowledged) {
    bench::PhaseResult warm = bench::RunPhase(n, 0, 1, call);
    bench::PhaseResult timed = warm.error.empty() ? bench::RunPhase(n, args.seconds, args.count, call) : warm;
    if (acknowledged != nullptr) *acknowledged += warm.done + (timed.error.empty() ? timed.done : 0);
    return timed;
  };

  bool failed = false;
  std::printf(
      "| clients |%s gateway schedules/s | plain schedules/s |%s ratio | gateway p50 / p99 ms | plain p50 / p99 ms | "
      "plain + one hot row, schedules/s | CPU busy, gateway / plain | CPU ms per schedule, gateway: clients + "
      "server | plain: clients + server |\n",
      before ? " before schedules/s |" : "", before ? " before ratio |" : "");
  std::printf("|---:|%s---:|---:|%s---:|---:|---:|---:|---:|---:|---:|\n", before ? "---:|" : "",
              before ? "---:|" : "");
  for (int n : args.clients) {
    bench::PhaseResult old;
    if (before) old = measure(n, via(*before), &before->acknowledged);
    bench::PhaseResult gw = measure(n, via(*gateway), &gateway->acknowledged);
    bench::PhaseResult plain = measure(n, via_libpq, nullptr);
    bench::PhaseResult hot = plain.error.empty() ? measure(n, via_libpq_hot_row, nullptr) : plain;
    auto ratio = [&](const bench::PhaseResult& r) { return plain.rate() > 0 ? r.rate() / plain.rate() : 0.0; };
    const std::string before_rate = before ? absl::StrFormat(" %.0f |", old.rate()) : "";
    const std::string before_ratio = before ? absl::StrFormat(" %.2f |", ratio(old)) : "";
    std::printf(
        "| %d |%s %.0f | %.0f |%s %.2f | %.1f / %.1f | %.1f / %.1f | %.0f | %.0f %% / %.0f %% | %.2f + %.2f | %.2f + "
        "%.2f |\n",
        n, before_rate.c_str(), gw.rate(), plain.rate(), before_ratio.c_str(), ratio(gw), gw.p50_ms, gw.p99_ms,
        plain.p50_ms, plain.p99_ms, hot.rate(), 100 * gw.cpu_busy, 100 * plain.cpu_busy, gw.client_cpu_ms,
        gw.server_cpu_ms, plain.client_cpu_ms, plain.server_cpu_ms);
    std::fflush(stdout);
    for (const std::string& e : {old.error, gw.error, plain.error, hot.error}) {
      if (!e.empty()) {
        std::cerr << "submission failed: " << e << "\n";
        failed = true;
      }
    }
    if (failed) break;
  }

  // What was acknowledged is what is stored, and the audit chain holds.
  std::cout << "\n";
  if (!CheckAndStop(*gateway, "gateway")) failed = true;
  if (before && !CheckAndStop(*before, "before")) failed = true;
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace tsodso

int main(int argc, char** argv) { return tsodso::Run(tsodso::ParseArgs(argc, argv)); }
