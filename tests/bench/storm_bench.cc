// A handshake storm against the real daemon, for docs/PERFORMANCE.md
// (tests/bench/run.sh): N clients, each on a connection of its own with its
// own mutual-TLS handshake, all call WhoAmI at the same moment.
//
//   tsodso_storm_bench [--connections N] [--rounds R]
//
// Prints the time until every call has its answer, how many were served
// and how many refused, and the daemon's resident memory before, at its
// peak and after the connections have closed. Asserts no timing: exits
// non-zero when a call fails in any other way than a clean refusal
// (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED), when the daemon
// dies or stops answering, or when its memory does not come back down.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/gateway_process.h"
#include "support/pg_cluster.h"
#include "tsodso/v1/registry.grpc.pb.h"

namespace tsodso {
namespace {

using Clock = std::chrono::steady_clock;
using testing::DemoCerts;
using testing::GatewayOptions;
using testing::GatewayProcess;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Open file descriptors of the daemon (its connections among them).
int DaemonFds(const GatewayProcess& gw) {
  const std::string ready = ReadFile((std::filesystem::path(gw.config_path()).parent_path() / "ready.json").string());
  const auto pos = ready.find("\"pid\": ");
  if (pos == std::string::npos) return -1;
  const std::string dir = "/proc/" + std::to_string(std::atoi(ready.c_str() + pos + 7)) + "/fd";
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    ++n;
  }
  return n;
}

struct Round {
  double seconds = 0;
  int served = 0;
  std::map<std::string, int> refused;  // clean refusals by code
  std::map<std::string, int> failed;   // anything else, by code and message
  int64_t peak_kib = 0;
};

Round Storm(const GatewayProcess& gw, int connections) {
  static const char* const kWho[] = {"tso", "agg1", "agg2", "operator"};
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::RegistryService::Stub>> stubs;
  for (int i = 0; i < connections; ++i) {
    channels.push_back(testing::OwnConnection(gw.address(), kWho[i % 4]));
    stubs.push_back(v1::RegistryService::NewStub(channels.back()));
  }
  std::vector<grpc::ClientContext> contexts(connections);
  std::vector<v1::WhoAmIRequest> requests(connections);
  std::vector<v1::WhoAmIResponse> responses(connections);
  std::mutex mu;
  std::condition_variable cv;
  int pending = connections;
  Round round;

  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      const int64_t kib = gw.RssKib();
      {
        std::lock_guard lock(mu);
        round.peak_kib = std::max(round.peak_kib, kib);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  const auto started = Clock::now();
  for (int i = 0; i < connections; ++i) {
    contexts[i].set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    stubs[i]->async()->WhoAmI(&contexts[i], &requests[i], &responses[i], [&, i](grpc::Status st) {
      std::lock_guard lock(mu);
      if (st.ok() && !responses[i].party_id().empty()) {
        ++round.served;
      } else if (st.error_code() == grpc::StatusCode::UNAVAILABLE ||
                 st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                 st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        ++round.refused[std::to_string(st.error_code())];
      } else {
        ++round.failed[std::to_string(st.error_code()) + " " + st.error_message()];
      }
      if (--pending == 0) cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
  }
  round.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  sampling = false;
  sampler.join();
  return round;  // the channels close here
}

int Run(int connections, int rounds) {
  GatewayOptions options;
  options.dsn = testing::PgCluster::Get().NewDatabase();
  GatewayProcess gw(options);
  if (auto st = gw.Start(); !st.ok()) {
    std::fprintf(stderr, "gateway: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  auto probe = gw.ClientAs("tso");
  if (!probe->WhoAmI().ok()) {
    std::fprintf(stderr, "gateway does not answer before the storm\n");
    return 1;
  }
  const int64_t before_kib = gw.RssKib();
  std::printf("%d mutual-TLS connections opened at once, each calling WhoAmI\n", connections);
  std::printf("%6s %10s %8s %8s %12s %12s %12s\n", "round", "all in", "served", "refused", "RSS before", "RSS peak",
              "RSS after");
  bool ok = true;
  int64_t after_kib = before_kib;
  int64_t highest_peak = before_kib;
  for (int r = 1; r <= rounds; ++r) {
    Round round = Storm(gw, connections);
    // The daemon frees a connection once it sees it closed, and hands free
    // memory back to the system every 10 s; give it that time.
    const int fds_open = DaemonFds(gw);
    std::this_thread::sleep_for(std::chrono::seconds(12));
    after_kib = gw.RssKib();
    std::printf("       daemon fds: %d just after, %d after 12 s\n", fds_open, DaemonFds(gw));
    highest_peak = std::max(highest_peak, round.peak_kib);
    int refused = 0;
    for (const auto& [code, n] : round.refused) refused += n;
    std::printf("%6d %9.2fs %8d %8d %9lld KiB %9lld KiB %9lld KiB\n", r, round.seconds, round.served, refused,
                static_cast<long long>(before_kib), static_cast<long long>(round.peak_kib),
                static_cast<long long>(after_kib));
    for (const auto& [what, n] : round.refused) std::printf("       refused with code %s: %d\n", what.c_str(), n);
    for (const auto& [what, n] : round.failed) {
      std::printf("       FAILED %s: %d\n", what.c_str(), n);
      ok = false;
    }
    if (!gw.Alive()) {
      std::printf("the daemon died\n%s\n", gw.Log().c_str());
      return 1;
    }
  }
  if (!probe->WhoAmI().ok()) {
    std::printf("the daemon no longer answers after the storm\n");
    ok = false;
  }
  // Memory comes back down: after the last round the daemon holds at most
  // half of what the storm added at its peak, or 16 MiB more than before
  // (the allocator keeps some arenas). Repeated rounds must not ratchet up.
  const int64_t allowed = before_kib + std::max<int64_t>((highest_peak - before_kib) / 2, 16 * 1024);
  if (after_kib > allowed) {
    std::printf("memory did not come back down: %lld KiB after, %lld KiB allowed\n", static_cast<long long>(after_kib),
                static_cast<long long>(allowed));
    ok = false;
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tsodso

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int connections = 500;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--connections" && i + 1 < argc) {
      connections = std::atoi(argv[++i]);
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--connections N] [--rounds R]\n", argv[0]);
      return 2;
    }
  }
  if (connections < 1 || rounds < 1) return 2;
  return tsodso::Run(connections, rounds);
}
