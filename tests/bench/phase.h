// One timed phase of a benchmark: N client threads call at once, each as
// fast as its answers come back, for a time or a fixed count; what a phase
// measures (rate, latency percentiles, CPU of this process and of the rest
// of the machine).
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tsodso::bench {

// Busy and total jiffies of the whole machine, from /proc/stat.
inline std::pair<int64_t, int64_t> CpuJiffies() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  const int64_t busy = user + nice + system + irq + softirq + steal;
  return {busy, busy + idle + iowait};
}

// User and system CPU time of this process so far.
inline double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// User and system CPU time of process `pid` so far, from /proc.
inline double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start at ") ".
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct PhaseResult {
  int64_t done = 0;
  double seconds = 0;
  double cpu_busy = 0;  // share of all cores busy during the phase, 0..1
  // CPU time per call of this process (the clients) and of the rest of
  // the machine (gateway and PostgreSQL), ms.
  double client_cpu_ms = 0;
  double server_cpu_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::string error;  // the first failure, if any
  double rate() const { return seconds > 0 ? done / seconds : 0; }
};

// Run `call(client)` from `clients` threads at once, `count` times each
// (count > 0) or until `seconds` are up; a call's latency is its duration.
inline PhaseResult RunPhase(int clients, double seconds, int count, const std::function<absl::Status(int)>& call) {
  std::vector<std::vector<double>> latencies(clients);
  std::mutex mu;
  PhaseResult out;
  std::atomic<bool> go{false};
  std::atomic<bool> failed{false};
  std::atomic<int> ready{0};
  using Clock = std::chrono::steady_clock;
  const auto budget = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  Clock::time_point start;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      const auto deadline = start + budget;
      for (int i = 0; count > 0 ? i < count : Clock::now() < deadline; ++i) {
        if (failed.load()) return;
        const auto t0 = Clock::now();
        absl::Status st = call(c);
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

}  // namespace tsodso::bench
