// The gateway's feed against a bare gRPC fan-out server, side by side in
// one run, for docs/PERFORMANCE.md (tests/bench/run.sh).
//
//   tsodso_feed_bench [--quick] [--only gateway|bare] [--streams N,M,...]
//                     [--fixed-only] [--daemon PATH] [--hand-over on|off]
//
// Both servers run as processes of their own under the same mutual TLS
// with the demo certificates: the real daemon (GatewayProcess, on a
// database of this binary's PostgreSQL cluster) and tsodso_bare_feed_server
// (bare_feed_server.cc: the same proto, bounded per-stream queues, nothing
// stored). The load client opens N TSO streams over 4 connections; the
// operator's PublishNotice is the publish trigger, from 8 publishers on a
// connection of their own. Each notice carries the monotonic time it was
// sent, so every delivery gives a publish-to-receive latency.
//
// Measured for each server:
// - deliveries/s at 1, 100, 1,000 and 5,000 streams, at the highest rate
//   the server sustains (publishers hold back while the streams are more
//   than 100 events behind on average, so no queue overflows);
// - p50/p99 publish-to-receive at a fixed rate: 100 streams at 100
//   events/s, 1,000 streams at 25 events/s;
// - server CPU (user + system, /proc) per million deliveries in both of
//   those fixed-rate runs and at 1,000 streams at the highest rate; for the
//   gateway its PostgreSQL processes are counted too;
// - resident memory added by 1,000 idle streams;
// - gateway only: the time for N subscribers to resume after a kill -9 and
//   a restart of the daemon, against a cold start of the daemon plus N
//   fresh subscriptions over new connections.
//
// Both servers run at once, and each max-rate and fixed-rate run is made
// three times for each, the two taking turns, so that whatever else the
// machine does over the minutes of a run falls on both alike; the table
// gives each server's median, the lines above it every run. A max-rate
// line also gives the publish calls' latency and how long the publishers
// were held back by the window: a server whose publishes are slow while it
// fans out never builds the backlog that lets gRPC write several events to
// a connection at once.
//
// Asserts no timing: exits non-zero when any stream misses an event, gets
// one out of seq order, or is not drained at the end of a run. --quick
// (the ctest entry) runs 1 and 100 streams and short phases. --fixed-only
// runs the 100 streams at 100 events/s alone (the phase whose p99 moves
// most between runs, so it is worth repeating); --daemon runs another
// build's tsodso-gatewayd (say, the one before a change) as the gateway;
// --hand-over sets the gateway's feed.hand_over (default: the daemon's).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/gateway_process.h"
#include "support/pg_cluster.h"
#include "support/temp_dir.h"
#include "tsodso/v1/feed.grpc.pb.h"
#include "tsodso/v1/operator.grpc.pb.h"

namespace tsodso {
namespace {

using Clock = std::chrono::steady_clock;
using testing::DemoCerts;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ---- processes -------------------------------------------------------------

// Fields of /proc/<pid>/stat after the command name.
std::vector<std::string> StatFields(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  size_t i = close + 2;
  while (i < stat.size()) {
    size_t j = stat.find(' ', i);
    if (j == std::string::npos) j = stat.size();
    fields.push_back(stat.substr(i, j - i));
    i = j + 1;
  }
  return fields;
}

// User + system CPU seconds of `pid`; with `reaped`, also of its children
// that have exited and been waited for.
double CpuSeconds(pid_t pid, bool reaped) {
  const std::vector<std::string> f = StatFields(pid);  // f[0] is field 3 (state)
  if (f.size() < 15) return 0;
  double ticks = std::atof(f[11].c_str()) + std::atof(f[12].c_str());
  if (reaped) ticks += std::atof(f[13].c_str()) + std::atof(f[14].c_str());
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    const pid_t pid = std::atoi(name.c_str());
    const std::vector<std::string> f = StatFields(pid);
    if (f.size() > 1 && std::atoi(f[1].c_str()) == parent) out.push_back(pid);
  }
  return out;
}

int64_t RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

int ReadyField(const std::string& ready_file, const std::string& key) {
  const std::string text = ReadFile(ready_file);
  const auto pos = text.find("\"" + key + "\": ");
  return pos == std::string::npos ? -1 : std::atoi(text.c_str() + pos + key.size() + 4);
}

// A server under test: where it listens, and what it costs.
class Server {
 public:
  virtual ~Server() = default;
  virtual std::string name() const = 0;
  virtual std::string address() const = 0;
  // CPU seconds the server has used so far (for the gateway, PostgreSQL's too).
  virtual double Cpu() const = 0;
  virtual int64_t Rss() const = 0;
  // Whether a subscription resumes after a seq (the gateway) or only
  // receives what is published after it (the bare server).
  virtual bool replays() const = 0;
  // Subscriptions whose replay failed so far (the gateway's database pool
  // refused or lost the read; the stream ended and its client resubscribed).
  virtual int FailedReplays() const { return 0; }
};

class BareServer final : public Server {
 public:
  BareServer() : dir_("bare") {}
  ~BareServer() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool Start() {
    const std::string ready = dir_ / "ready.json";
    const std::string certs = std::filesystem::path(DemoCerts::Get().File("ca.crt")).parent_path().string();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const std::string bin = testing::BinPath("tsodso_bare_feed_server");
      execl(bin.c_str(), bin.c_str(), "--certs", certs.c_str(), "--ready-file", ready.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 600; ++i) {
      port_ = ReadyField(ready, "port");
      if (port_ > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  std::string name() const override { return "bare gRPC"; }
  std::string address() const override { return "127.0.0.1:" + std::to_string(port_); }
  double Cpu() const override { return CpuSeconds(pid_, false); }
  int64_t Rss() const override { return RssKib(pid_); }
  bool replays() const override { return false; }

 private:
  testing::TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class Gateway final : public Server {
 public:
  explicit Gateway(testing::GatewayOptions options) : process_(std::move(options)) {
    // This binary's PostgreSQL cluster serves the gateway alone: its
    // postmaster is our child, and all its processes are the gateway's.
    for (pid_t child : ChildrenOf(getpid())) {
      if (ReadFile("/proc/" + std::to_string(child) + "/comm").rfind("postgres", 0) == 0) postmaster_ = child;
    }
  }
  testing::GatewayProcess& process() { return process_; }
  pid_t daemon_pid() const {
    return ReadyField((std::filesystem::path(process_.config_path()).parent_path() / "ready.json").string(), "pid");
  }
  std::string name() const override { return "gateway"; }
  std::string address() const override { return process_.address(); }
  double Cpu() const override {
    double total = CpuSeconds(daemon_pid(), false);
    if (postmaster_ > 0) {
      total += CpuSeconds(postmaster_, true);
      for (pid_t p : ChildrenOf(postmaster_)) total += CpuSeconds(p, false);
    }
    return total;
  }
  int64_t Rss() const override { return process_.RssKib(); }
  bool replays() const override { return true; }
  int FailedReplays() const override {
    const std::string log = process_.Log();
    int n = 0;
    for (size_t at = log.find("replay failed"); at != std::string::npos; at = log.find("replay failed", at + 1)) ++n;
    return n;
  }

 private:
  testing::GatewayProcess process_;
  pid_t postmaster_ = -1;
};

// ---- the load client -------------------------------------------------------

// A connection of its own, reconnecting promptly after a restart (gRPC's
// default first wait is 1 s).
std::shared_ptr<grpc::Channel> Connect(const std::string& address, const std::string& who) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return testing::OwnConnection(address, who, args);
}

struct StreamState {
  int connection = 0;
  std::atomic<int64_t> last{0};  // last seq received (the resume point)
  std::atomic<bool> broken{false};
  std::atomic<int> cuts{0};
  std::mutex mu;
  std::vector<int64_t> latencies_ns;
  grpc::ClientContext* call = nullptr;  // the running call, for cancelling
};

class Load;

class Call final : public grpc::ClientReadReactor<v1::Event> {
 public:
  Call(Load& load, StreamState& state, bool wait_for_ready);
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  Load& load_;
  StreamState& state_;
  grpc::ClientContext ctx_;
  v1::SubscribeRequest request_;
  v1::Event event_;
};

// N TSO streams over 4 connections, each checking that its seqs follow
// one another, and resubscribing as a client must when its stream ends.
class Load {
 public:
  Load(const Server& server, int connections = 4) : server_(server) {
    for (int i = 0; i < connections; ++i) {
      stubs_.push_back(v1::FeedService::NewStub(Connect(server.address(), "tso")));
    }
  }
  ~Load() { Close(); }

  // Open n more streams resuming after `head` (the gateway) or from now on.
  void Open(int n, int64_t head) {
    for (int i = 0; i < n; ++i) {
      auto& s = streams_.emplace_back(std::make_unique<StreamState>());
      s->connection = static_cast<int>(streams_.size() % stubs_.size());
      s->last = server_.replays() ? head : 0;
      active_.fetch_add(1);
      new Call(*this, *s, false);
    }
  }
  // Cancel every stream and wait until all have ended.
  void Close() {
    stopping_ = true;
    for (auto& s : streams_) {
      std::lock_guard lock(s->mu);
      if (s->call != nullptr) s->call->TryCancel();
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return active_.load() == 0; });
    streams_.clear();
    stopping_ = false;
  }

  size_t size() const { return streams_.size(); }
  // Whether every stream has received seq `seq` or a later one.
  bool AllReached(int64_t seq) const {
    for (const auto& s : streams_) {
      if (s->last.load() < seq) return false;
    }
    return true;
  }
  bool AllReached(int64_t seq, int timeout_ms) const {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!AllReached(seq)) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }
  int Broken() const {
    int n = 0;
    for (const auto& s : streams_) n += s->broken ? 1 : 0;
    return n;
  }
  int Cuts() const {
    int n = 0;
    for (const auto& s : streams_) n += s->cuts;
    return n;
  }
  std::vector<int64_t> TakeLatencies() {
    std::vector<int64_t> all;
    for (auto& s : streams_) {
      std::lock_guard lock(s->mu);
      all.insert(all.end(), s->latencies_ns.begin(), s->latencies_ns.end());
      s->latencies_ns.clear();
    }
    return all;
  }
  void Record(bool on) { recording_ = on; }
  int64_t delivered() const { return delivered_.load(); }

 private:
  friend class Call;

  void Ended(StreamState& s, const grpc::Status& status) {
    if (!stopping_) {
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++s.cuts;
      // Resume after the last seq received, as soon as the server is back.
      new Call(*this, s, true);
      return;
    }
    // Under the lock: Close() may return, and the load go away, as soon as
    // it sees the count at 0.
    std::lock_guard lock(mu_);
    if (active_.fetch_sub(1) == 1) cv_.notify_all();
  }

  const Server& server_;
  std::vector<std::unique_ptr<v1::FeedService::Stub>> stubs_;
  std::vector<std::unique_ptr<StreamState>> streams_;
  std::atomic<int> active_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> recording_{false};
  std::atomic<int64_t> delivered_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

Call::Call(Load& load, StreamState& state, bool wait_for_ready) : load_(load), state_(state) {
  ctx_.set_wait_for_ready(wait_for_ready);
  request_.set_resume_after_seq(state.last.load());
  {
    // Close() cancels what is registered once it stops: a call that starts
    // after it looked cancels itself.
    std::lock_guard lock(state.mu);
    state.call = &ctx_;
    if (load.stopping_) ctx_.TryCancel();
  }
  load.stubs_[state.connection]->async()->Subscribe(&ctx_, &request_, this);
  StartRead(&event_);
  StartCall();
}

void Call::OnReadDone(bool ok) {
  if (!ok) return;
  if (event_.seq() > 0) {
    const int64_t prev = state_.last.load();
    // The first event of a bare stream may be any; every other follows
    // the one before it.
    if (prev != 0 && event_.seq() != prev + 1) state_.broken = true;
    state_.last = event_.seq();
    load_.delivered_.fetch_add(1, std::memory_order_relaxed);
    if (load_.recording_) {
      const int64_t sent = std::atoll(event_.notice().text().c_str() + 2);
      std::lock_guard lock(state_.mu);
      state_.latencies_ns.push_back(NowNs() - sent);
    }
  }
  StartRead(&event_);
}

void Call::OnDone(const grpc::Status& status) {
  Load& load = load_;
  StreamState& state = state_;
  {
    std::lock_guard lock(state.mu);
    state.call = nullptr;
  }
  // The context holds a reference to the channel: it goes before the load
  // can see the stream ended, so that the last reference, and the channel's
  // teardown, stays with the load's owner instead of a gRPC callback thread.
  delete this;
  load.Ended(state, status);
}

// The operator's PublishNotice from 8 threads on one connection.
class Publishers {
 public:
  explicit Publishers(const Server& server)
      : stub_(v1::OperatorService::NewStub(Connect(server.address(), "operator"))) {}

  // Publish one notice; return its seq (0 on failure).
  int64_t PublishOne() {
    v1::PublishNoticeRequest req;
    // Keys unique across publishers: the gateway keeps them over a restart.
    static std::atomic<int64_t> key{0};
    req.set_idempotency_key("bench-" + std::to_string(key.fetch_add(1)) + "-" + std::to_string(getpid()));
    req.set_severity(v1::SEVERITY_INFO);
    // ~200 characters: events of about 300 bytes, as the gateway's are.
    req.set_text("t=" + std::to_string(NowNs()) + " " + std::string(180, 'x'));
    v1::PublishNoticeResponse resp;
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status st = stub_->PublishNotice(&ctx, req, &resp);
    if (!st.ok() || resp.event_seqs_size() != 1) {
      ++failed_;
      return 0;
    }
    int64_t seq = resp.event_seqs(0);
    int64_t cur = head_.load();
    while (seq > cur && !head_.compare_exchange_weak(cur, seq)) {
    }
    return seq;
  }

  // Publish `count` notices from 8 threads as fast as `load` takes them:
  // a publisher waits while the streams are more than `window` events
  // behind on average.
  void AtMaxRate(int count, const Load& load, int window = 100) {
    const int64_t streams = static_cast<int64_t>(load.size());
    const int64_t base = load.delivered();
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        while (true) {
          const int i = next.fetch_add(1);
          if (i >= count) return;
          const int64_t w0 = NowNs();
          while ((static_cast<int64_t>(i) * streams) - (load.delivered() - base) > streams * window) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
          }
          const int64_t p0 = NowNs();
          PublishOne();
          const int64_t p1 = NowNs();
          {
            std::lock_guard lock(times_mu_);
            window_wait_ns_ += p0 - w0;
            publish_ns_.push_back(p1 - p0);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }

  // Publish `count` notices at `rate` per second, from 4 threads.
  void AtRate(int count, double rate) {
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; i < count; i += 4) {
          std::this_thread::sleep_until(start + std::chrono::nanoseconds(static_cast<int64_t>(i * 1e9 / rate)));
          PublishOne();
        }
      });
    }
    for (auto& t : threads) t.join();
  }

  int64_t head() const { return head_.load(); }
  // Since the last call: the publishers' summed wait for the window, s,
  // and each publish call's duration, ns.
  std::pair<double, std::vector<int64_t>> TakePublishTimes() {
    std::lock_guard lock(times_mu_);
    std::pair<double, std::vector<int64_t>> out{window_wait_ns_ / 1e9, std::move(publish_ns_)};
    window_wait_ns_ = 0;
    publish_ns_.clear();
    return out;
  }
  // Publishes that failed since the last call.
  int TakeFailed() { return failed_.exchange(0); }

 private:
  std::unique_ptr<v1::OperatorService::Stub> stub_;
  std::atomic<int64_t> head_{0};
  std::atomic<int> failed_{0};
  std::mutex times_mu_;
  int64_t window_wait_ns_ = 0;
  std::vector<int64_t> publish_ns_;
};

// Publish a notice until every stream of `load` has one published after
// `after`; false on timeout. Each probe is given twice the time of the one
// before (20 ms at first, at most 1 s): thousands of streams going live at
// once must not be buried under probes they each have to receive.
bool WaitLive(Publishers& pub, const Load& load, int64_t after, int timeout_ms = 60000) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  int64_t probe = 0;
  int wait_ms = 20;
  while (Clock::now() < deadline) {
    if (const int64_t s = pub.PublishOne(); s > 0) probe = s;
    if (probe > after && load.AllReached(probe, wait_ms)) return true;
    wait_ms = std::min(2 * wait_ms, 1000);
  }
  return false;
}

// ---- measurements ----------------------------------------------------------

struct Percentiles {
  double p50_ms = 0;
  double p99_ms = 0;
};

Percentiles Of(std::vector<int64_t> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))] / 1e6;
  };
  return {at(0.50), at(0.99)};
}

struct Throughput {
  double deliveries_per_s = 0;
  Percentiles latency;
  double cpu_s_per_million = 0;
};

struct Results {
  std::vector<std::pair<int, Throughput>> max_rate;
  std::vector<std::pair<std::string, Throughput>> fixed_rate;
  double idle_kib_per_1000 = 0;
  double start_s = 0;             // gateway: daemon start (spawn to ready)
  double start_handshakes_s = 0;  // gateway: start plus N fresh subscriptions live
  double restart_s = 0;           // gateway: daemon restart after kill -9 (spawn to ready)
  double resume_s = 0;            // gateway: restart plus N subscribers resumed
  int resume_streams = 0;
  bool ok = true;
};

void Fail(Results& r, const std::string& what) {
  std::printf("  FAILED: %s\n", what.c_str());
  r.ok = false;
}

// Check and close a load after its last publish: every stream drained to
// the last seq, none broken.
void Finish(Results& r, Load& load, Publishers& pub, const std::string& phase) {
  if (!load.AllReached(pub.head(), 60000)) Fail(r, phase + ": not every stream received every event");
  if (int b = load.Broken(); b > 0) Fail(r, phase + ": " + std::to_string(b) + " streams saw a gap or a repeat");
  if (int f = pub.TakeFailed(); f > 0) Fail(r, phase + ": " + std::to_string(f) + " publishes failed");
  if (int c = load.Cuts(); c > 0) std::printf("  %s: %d slow-subscriber cuts (resumed)\n", phase.c_str(), c);
  load.Close();
}

// Wait until the server is idle again (below 5 % of a core over 200 ms,
// at most 30 s), so that what a run leaves behind (the gateway audits every
// ended stream) is not counted against the next one.
void Settle(const Server& server) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    const double before = server.Cpu();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (server.Cpu() - before < 0.01) return;
  }
}

Throughput MaxRate(Results& r, Server& server, Publishers& pub, int streams, int events) {
  Settle(server);
  Load load(server);
  const int failed_replays = server.FailedReplays();
  const auto opened = Clock::now();
  const int64_t head_at_open = pub.head();
  load.Open(streams, head_at_open);
  if (!WaitLive(pub, load, pub.head())) Fail(r, "streams did not go live");
  const double live_s = std::chrono::duration<double>(Clock::now() - opened).count();
  const int64_t probes = pub.head() - head_at_open;
  const int replays_failed = server.FailedReplays() - failed_replays;
  load.Record(true);
  const double cpu0 = server.Cpu();
  const int64_t d0 = load.delivered();
  const int64_t target = pub.head() + events;
  const auto t0 = Clock::now();
  pub.AtMaxRate(events, load);
  load.AllReached(target, 60000);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = server.Cpu() - cpu0;
  const int64_t delivered = load.delivered() - d0;
  load.Record(false);
  Throughput t{static_cast<double>(delivered) / secs, Of(load.TakeLatencies()),
               cpu * 1e6 / static_cast<double>(delivered)};
  auto [window_wait_s, publish_ns] = pub.TakePublishTimes();
  const Percentiles publish = Of(std::move(publish_ns));
  Finish(r, load, pub, std::to_string(streams) + " streams at max rate");
  std::printf("  %-9s %5d streams live in %.2f s (%" PRId64
              " probes), %d replays failed; max rate: %6.0f deliveries/s (%" PRId64
              " in %.2f s), p50 %.2f ms, p99 %.2f ms, %.1f CPU s per 1M; publish calls p50 %.2f ms, p99 %.2f ms, "
              "each publisher held back by the window %.2f s\n",
              server.name().c_str(), streams, live_s, probes, replays_failed, t.deliveries_per_s, delivered, secs,
              t.latency.p50_ms, t.latency.p99_ms, t.cpu_s_per_million, publish.p50_ms, publish.p99_ms,
              window_wait_s / 8);
  return t;
}

Throughput FixedRate(Results& r, Server& server, Publishers& pub, int streams, double rate, double seconds) {
  Settle(server);
  Load load(server);
  load.Open(streams, pub.head());
  if (!WaitLive(pub, load, pub.head())) Fail(r, "streams did not go live");
  load.TakeLatencies();
  load.Record(true);
  const double cpu0 = server.Cpu();
  const int64_t d0 = load.delivered();
  const int events = static_cast<int>(rate * seconds);
  const int64_t target = pub.head() + events;
  pub.AtRate(events, rate);
  load.AllReached(target, 60000);
  const double cpu = server.Cpu() - cpu0;
  const int64_t delivered = load.delivered() - d0;
  load.Record(false);
  Throughput t{static_cast<double>(delivered) / seconds, Of(load.TakeLatencies()),
               cpu * 1e6 / static_cast<double>(std::max<int64_t>(delivered, 1))};
  Finish(r, load, pub, std::to_string(streams) + " streams at " + std::to_string(static_cast<int>(rate)) + "/s");
  std::printf("  %-9s %5d streams at %4.0f events/s: p50 %.2f ms, p99 %.2f ms, %.1f CPU s per 1M deliveries\n",
              server.name().c_str(), streams, rate, t.latency.p50_ms, t.latency.p99_ms, t.cpu_s_per_million);
  return t;
}

double IdleMemory(Results& r, Server& server, Publishers& pub, int streams) {
  Load load(server);
  load.Open(1, pub.head());
  if (!WaitLive(pub, load, pub.head())) Fail(r, "first stream did not go live");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int64_t before = server.Rss();
  load.Open(streams, pub.head());
  if (!WaitLive(pub, load, pub.head())) Fail(r, "idle streams did not go live");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const int64_t after = server.Rss();
  Finish(r, load, pub, "idle streams");
  const double per_1000 = static_cast<double>(after - before) * 1000.0 / streams;
  std::printf("  %d idle streams: RSS %" PRId64 " -> %" PRId64 " KiB, %.0f KiB per 1,000\n", streams, before, after,
              per_1000);
  return per_1000;
}

// Gateway only: a cold start plus N fresh subscriptions, then N live
// subscribers through a kill -9 and a restart.
void Restart(Results& r, Gateway& gw, std::unique_ptr<Publishers>& pub, int streams) {
  testing::GatewayProcess& p = gw.process();
  Settle(gw);
  const int64_t head = pub->head();
  pub.reset();
  p.Terminate();
  auto t0 = Clock::now();
  if (auto st = p.Start(); !st.ok()) return Fail(r, "gateway restart: " + std::string(st.message()));
  r.start_s = std::chrono::duration<double>(Clock::now() - t0).count();
  pub = std::make_unique<Publishers>(gw);
  {
    Load load(gw);
    load.Open(streams, head);
    if (!WaitLive(*pub, load, head)) Fail(r, "fresh subscriptions did not go live");
    r.start_handshakes_s = std::chrono::duration<double>(Clock::now() - t0).count();
    Finish(r, load, *pub, "fresh subscriptions");
  }
  Load load(gw);
  load.Open(streams, pub->head());
  if (!WaitLive(*pub, load, pub->head())) Fail(r, "subscriptions did not go live");
  const int64_t before_kill = pub->head();
  p.Kill9();
  t0 = Clock::now();
  if (auto st = p.Start(); !st.ok()) return Fail(r, "gateway restart after kill -9: " + std::string(st.message()));
  r.restart_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!WaitLive(*pub, load, before_kill)) Fail(r, "subscribers did not resume");
  r.resume_s = std::chrono::duration<double>(Clock::now() - t0).count();
  r.resume_streams = streams;
  Finish(r, load, *pub, "resumed subscribers");
  std::printf(
      "  %d subscribers: cold start %.2f s, + fresh subscriptions %.2f s; restart after kill -9 %.2f s, all "
      "resumed %.2f s\n",
      streams, r.start_s, r.start_handshakes_s, r.restart_s, r.resume_s);
}

struct Plan {
  std::vector<int> streams = {1, 100, 1000, 5000};
  int deliveries = 400000;  // per max-rate run
  int idle_streams = 1000;
  int resume_streams = 1000;
  double fixed_seconds = 10;
  std::vector<std::pair<int, double>> fixed = {{100, 100}, {1000, 25}};
  // Each max-rate and fixed-rate run is made this many times for every
  // server, the servers taking turns.
  int rounds = 3;
};

// The median of each figure over a phase's rounds.
Throughput Median(std::vector<Throughput> runs) {
  auto median = [&](auto field) {
    std::vector<double> v;
    for (const Throughput& t : runs) v.push_back(field(t));
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  Throughput m;
  m.deliveries_per_s = median([](const Throughput& t) { return t.deliveries_per_s; });
  m.latency.p50_ms = median([](const Throughput& t) { return t.latency.p50_ms; });
  m.latency.p99_ms = median([](const Throughput& t) { return t.latency.p99_ms; });
  m.cpu_s_per_million = median([](const Throughput& t) { return t.cpu_s_per_million; });
  return m;
}

// A server under test with its publishers and its figures.
struct Side {
  Server& server;
  std::unique_ptr<Publishers> pub;
  Results r;
};

// Both servers run side by side; each phase runs on one and then the
// other, `plan.rounds` times over, so that what else the machine does in
// the meantime falls on both alike, and each keeps its median.
void Measure(std::vector<Side>& sides, const Plan& plan) {
  for (Side& s : sides) {
    s.pub = std::make_unique<Publishers>(s.server);
    if (plan.idle_streams > 0) {
      std::printf("%s at %s\n", s.server.name().c_str(), s.server.address().c_str());
      s.r.idle_kib_per_1000 = IdleMemory(s.r, s.server, *s.pub, plan.idle_streams);
    }
  }
  auto rounds = [&](const std::function<Throughput(Side&)>& phase) {
    std::vector<std::vector<Throughput>> runs(sides.size());
    for (int k = 0; k < plan.rounds; ++k) {
      for (size_t i = 0; i < sides.size(); ++i) runs[i].push_back(phase(sides[i]));
    }
    std::vector<Throughput> medians;
    for (auto& r : runs) medians.push_back(Median(std::move(r)));
    return medians;
  };
  for (int n : plan.streams) {
    const int events = std::clamp(plan.deliveries / n, 100, 3000);
    std::vector<Throughput> m = rounds([&](Side& s) { return MaxRate(s.r, s.server, *s.pub, n, events); });
    for (size_t i = 0; i < sides.size(); ++i) sides[i].r.max_rate.push_back({n, m[i]});
  }
  for (auto [n, rate] : plan.fixed) {
    std::vector<Throughput> m =
        rounds([&](Side& s) { return FixedRate(s.r, s.server, *s.pub, n, rate, plan.fixed_seconds); });
    for (size_t i = 0; i < sides.size(); ++i) {
      sides[i].r.fixed_rate.push_back(
          {std::to_string(n) + " streams at " + std::to_string(static_cast<int>(rate)) + " events/s", m[i]});
    }
  }
}

void PrintTable(const Results& g, const Results& b) {
  auto row = [](const std::string& what, double gv, double bv, const char* fmt) {
    char gs[32];
    char bs[32];
    std::snprintf(gs, sizeof gs, fmt, gv);
    std::snprintf(bs, sizeof bs, fmt, bv);
    std::printf("| %s | %s | %s | %.2f |\n", what.c_str(), gs, bs, bv == 0 ? 0.0 : gv / bv);
  };
  std::printf("\n| | gateway | bare gRPC | ratio |\n|---|---:|---:|---:|\n");
  for (size_t i = 0; i < g.max_rate.size() && i < b.max_rate.size(); ++i) {
    const int n = g.max_rate[i].first;
    row("deliveries/s, " + std::to_string(n) + " streams, max rate", g.max_rate[i].second.deliveries_per_s,
        b.max_rate[i].second.deliveries_per_s, "%.0f");
  }
  for (size_t i = 0; i < g.max_rate.size() && i < b.max_rate.size(); ++i) {
    const int n = g.max_rate[i].first;
    if (n < 100) continue;
    row("p99 ms, " + std::to_string(n) + " streams, max rate", g.max_rate[i].second.latency.p99_ms,
        b.max_rate[i].second.latency.p99_ms, "%.1f");
    if (n == 1000) {
      row("CPU s per 1M deliveries, 1000 streams, max rate", g.max_rate[i].second.cpu_s_per_million,
          b.max_rate[i].second.cpu_s_per_million, "%.1f");
    }
  }
  for (size_t i = 0; i < g.fixed_rate.size() && i < b.fixed_rate.size(); ++i) {
    const std::string& what = g.fixed_rate[i].first;
    row("p50 ms, " + what, g.fixed_rate[i].second.latency.p50_ms, b.fixed_rate[i].second.latency.p50_ms, "%.2f");
    row("p99 ms, " + what, g.fixed_rate[i].second.latency.p99_ms, b.fixed_rate[i].second.latency.p99_ms, "%.2f");
    row("CPU s per 1M deliveries, " + what, g.fixed_rate[i].second.cpu_s_per_million,
        b.fixed_rate[i].second.cpu_s_per_million, "%.1f");
  }
  if (g.idle_kib_per_1000 > 0) row("KiB per 1,000 idle streams", g.idle_kib_per_1000, b.idle_kib_per_1000, "%.0f");
  if (g.resume_streams > 0) {
    std::printf(
        "| %d subscribers resumed after kill -9 + restart (s), against cold start + fresh subscriptions | "
        "%.2f | %.2f | %.2f |\n",
        g.resume_streams, g.resume_s, g.start_handshakes_s, g.resume_s / g.start_handshakes_s);
    std::printf("| (of which the daemon's own start, s) | %.2f | %.2f | |\n", g.restart_s, g.start_s);
  }
}

int Run(bool quick, bool fixed_only, const std::string& only, const std::vector<int>& streams,
        const std::string& daemon, int hand_over) {
  Plan plan;
  if (quick) {
    plan.streams = {1, 100};
    plan.deliveries = 5000;
    plan.idle_streams = 100;
    plan.resume_streams = 100;
    plan.fixed_seconds = 2;
    plan.fixed = {{100, 100}};
    plan.rounds = 1;
  }
  if (fixed_only) {
    plan.streams = {};
    plan.idle_streams = 0;
    plan.resume_streams = 0;
    plan.fixed = {{100, 100}};
  }
  if (!streams.empty()) plan.streams = streams;
  std::printf("machine: %u cores; %s\n", std::thread::hardware_concurrency(),
              fixed_only ? "100 streams at 100 events/s only"
              : quick    ? "quick pass"
                         : "full run");
  std::unique_ptr<BareServer> bare;
  std::unique_ptr<Gateway> gw;
  std::vector<Side> sides;
  if (only.empty() || only == "bare") {
    bare = std::make_unique<BareServer>();
    if (!bare->Start()) {
      std::fprintf(stderr, "the bare server did not start\n");
      return 1;
    }
    sides.push_back({*bare, nullptr, {}});
  }
  if (only.empty() || only == "gateway") {
    testing::GatewayOptions options;
    options.dsn = testing::PgCluster::Get().NewDatabase();
    options.max_streams_per_party = 20000;
    options.heartbeat_ms = 5000;
    options.pool_size = 4;
    options.daemon = daemon;
    options.hand_over = hand_over;
    gw = std::make_unique<Gateway>(options);
    if (auto st = gw->process().Start(); !st.ok()) {
      std::fprintf(stderr, "gateway: %s\n", std::string(st.message()).c_str());
      return 1;
    }
    sides.push_back({*gw, nullptr, {}});
  }
  Measure(sides, plan);
  if (gw && plan.resume_streams > 0) Restart(sides.back().r, *gw, sides.back().pub, plan.resume_streams);
  const Results gateway_results = gw ? sides.back().r : Results{};
  const Results bare_results = bare ? sides.front().r : Results{};
  if (only.empty()) PrintTable(gateway_results, bare_results);
  const bool ok = gateway_results.ok && bare_results.ok;
  std::printf("\n%s\n", ok ? "every stream received every event, in seq order, without a gap" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tsodso

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bool quick = false;
  bool fixed_only = false;
  std::string only;
  std::string daemon;
  int hand_over = -1;
  std::vector<int> streams;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      quick = true;
    } else if (arg == "--fixed-only") {
      fixed_only = true;
    } else if (arg == "--daemon" && i + 1 < argc) {
      daemon = argv[++i];
    } else if (arg == "--hand-over" && i + 1 < argc &&
               (std::string(argv[i + 1]) == "on" || std::string(argv[i + 1]) == "off")) {
      hand_over = std::string(argv[++i]) == "on" ? 1 : 0;
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (arg == "--streams" && i + 1 < argc) {
      std::stringstream list(argv[++i]);
      for (std::string n; std::getline(list, n, ',');) streams.push_back(std::atoi(n.c_str()));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--quick] [--only gateway|bare] [--streams N,M,...] [--fixed-only] [--daemon PATH] "
                   "[--hand-over on|off]\n",
                   argv[0]);
      return 2;
    }
  }
  return tsodso::Run(quick, fixed_only, only, streams, daemon, hand_over);
}
