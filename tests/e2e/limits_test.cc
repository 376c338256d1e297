// The gateway's limits end to end: streams per party, the statement
// timeout, deadlines of queued calls, connection age and keepalive
// enforcement.
#include <grpc/support/log.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "e2e/e2e_util.h"
#include "store/pg.h"
#include "support/status_testing.h"
#include "tsodso/v1/registry.grpc.pb.h"

namespace tsodso::testing {
namespace {

std::unique_ptr<store::PgConnection> Db(const std::string& dsn) {
  auto conn = store::PgConnection::Open(dsn);
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? std::move(*conn) : nullptr;
}

// Hold the row lock every publishing transaction takes on the event
// counter, so that a publish waits inside its statement for as long as the
// test says. Rolled back on Release or destruction.
class EventCounterLock {
 public:
  explicit EventCounterLock(const std::string& dsn) : db_(Db(dsn)) {
    EXPECT_TRUE(db_->Exec("BEGIN").ok());
    auto locked = db_->Exec("SELECT last_seq FROM event_seq FOR UPDATE");
    EXPECT_TRUE(locked.ok()) << locked.status();
  }
  ~EventCounterLock() { Release(); }
  void Release() {
    if (held_) (void)db_->Exec("ROLLBACK");
    held_ = false;
  }

 private:
  std::unique_ptr<store::PgConnection> db_;
  bool held_ = true;
};

// Sessions of the test database waiting for a lock.
int64_t LockWaiters(store::PgConnection& db) {
  return QueryCount(db, "SELECT count(*) FROM pg_locks WHERE NOT granted");
}

std::unique_ptr<client::Client> ClientWithTimeout(const GatewayProcess& gw, const std::string& who, int timeout_ms) {
  const DemoCerts& certs = DemoCerts::Get();
  client::ConnectionOptions opts;
  opts.server = gw.address();
  opts.cert_file = certs.File(who + ".crt");
  opts.key_file = certs.File(who + ".key");
  opts.ca_file = certs.File("ca.crt");
  opts.timeout_ms = timeout_ms;
  auto c = client::Client::Connect(opts);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(LimitsTest, APartyHoldsAtMostItsStreamsAndTheNextIsResourceExhausted) {
  GatewayOptions opts;
  opts.max_streams_per_party = 2;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto first = std::make_unique<FeedCollector>(*gw, "agg1", All(), false);
  FeedCollector second(*gw, "agg1", All(), false);
  ASSERT_TRUE(first->WaitForHeartbeat());
  ASSERT_TRUE(second.WaitForHeartbeat());

  auto agg1 = gw->ClientAs("agg1");
  absl::Status third = agg1->Subscribe(All(), [](const v1::Event&) { return false; });
  EXPECT_TRUE(
      StatusIs(third, absl::StatusCode::kResourceExhausted, {"agg-1 has 2 subscriptions open", "resume_after_seq"}));
  // Another party is not affected.
  FeedCollector tso(*gw, "tso", All(), false);
  EXPECT_TRUE(tso.WaitForHeartbeat());

  // Once one stream ends, a new one is taken.
  first.reset();
  bool taken = WaitUntil(
      [&] {
        int heartbeats = 0;
        absl::Status st =
            agg1->Subscribe(All(), [&](const v1::Event& e) { return !(e.has_heartbeat() && ++heartbeats); });
        return st.ok() && heartbeats == 1;
      },
      10000);
  EXPECT_TRUE(taken) << gw->Log();
}

TEST(LimitsTest, AStatementPastTheTimeoutAnswersDeadlineExceededAndCommitsNothing) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  opts.statement_timeout_ms = 500;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto db = Db(opts.dsn);
  auto op = gw->ClientAs("operator");
  {
    EventCounterLock lock(opts.dsn);
    auto r = op->PublishNotice(NoticeRequest("held up"));
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(StatusIs(r.status(), absl::StatusCode::kDeadlineExceeded, {"was not applied"}));
    // Storage details stay in the log.
    EXPECT_EQ(std::string(r.status().message()).find("SQLSTATE"), std::string::npos) << r.status();
  }
  EXPECT_EQ(QueryCount(*db, "SELECT count(*) FROM events"), 0);
  EXPECT_EQ(QueryCount(*db, "SELECT count(*) FROM notices"), 0);
  EXPECT_NE(gw->Log().find("statement timeout"), std::string::npos);
  EXPECT_FALSE(Publish(*op, "after the lock").empty());
}

TEST(LimitsTest, ACallWhoseDeadlinePassesInTheQueueIsNotStartedAndCommitsNothing) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  opts.pool_size = 1;  // one database worker: a second call waits in the queue
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto db = Db(opts.dsn);
  auto op = gw->ClientAs("operator");
  ASSERT_FALSE(Publish(*op, "warm-up").empty());

  // The impatient caller's connection is up before its call: its 300 ms
  // are then all spent in the gateway's queue, none in the TLS handshake.
  auto impatient = ClientWithTimeout(*gw, "operator", 300);
  ASSERT_NE(impatient, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return impatient->WhoAmI().ok(); }, 10000));

  EventCounterLock lock(opts.dsn);
  // The first publish takes the only worker and waits for the lock.
  absl::StatusOr<v1::PublishNoticeResponse> held;
  std::thread first([&] { held = op->PublishNotice(NoticeRequest("first, held up")); });
  ASSERT_TRUE(WaitUntil([&] { return LockWaiters(*db) > 0; }, 10000)) << gw->Log();

  // The second waits in the queue behind it, past its 300 ms deadline.
  auto second = impatient->PublishNotice(NoticeRequest("second, given up"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kDeadlineExceeded) << second.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  lock.Release();
  first.join();
  ASSERT_TRUE(held.ok()) << held.status();

  // The worker then takes the second call, finds it given up and does not
  // run it: its refusal is audited, its notice never stored.
  const std::string refused =
      "SELECT count(*) FROM audit_log WHERE method LIKE '%PublishNotice' AND outcome IN ('CANCELLED', "
      "'DEADLINE_EXCEEDED')";
  ASSERT_TRUE(WaitUntil([&] { return QueryCount(*db, refused) == 1; }, 10000)) << gw->Log();
  // The call is answered (and logged) once its group has committed the
  // refusal's audit record: a moment after the row shows.
  EXPECT_TRUE(WaitUntil([&] { return gw->Log().find("before it ran; nothing was done") != std::string::npos; }, 5000))
      << gw->Log();
  EXPECT_EQ(QueryCount(*db, "SELECT count(*) FROM notices WHERE text LIKE 'second%'"), 0);
  EXPECT_EQ(QueryCount(*db, "SELECT count(*) FROM notices"), 2);
  EXPECT_EQ(QueryCount(*db, "SELECT count(*) FROM events"), 2);
}

TEST(LimitsTest, ConnectionsPastTheirMaximumAgeAreReplacedWithoutTheClientNoticing) {
  GatewayOptions opts;
  opts.max_connection_age_ms = 1500;
  opts.max_connection_age_grace_ms = 1000;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");

  // The CLI follows the feed across several connection ends.
  const int n = 40;
  std::string out, err;
  int rc = -1;
  std::thread cli([&] {
    auto argv = gw->CliAs("tso");
    for (std::string a : {"subscribe", "--json", "--reconnect", "--max-events"}) argv.push_back(a);
    argv.push_back(std::to_string(n));
    rc = RunCommand(argv, &out, &err, 60000);
  });

  // Unary calls on one client across the same ends: all answered.
  auto tso = gw->ClientAs("tso");
  int calls = 0, failed = 0;
  std::string failures;
  for (int i = 0; i < n; ++i) {
    Publish(*op, "aged " + std::to_string(i));
    for (int k = 0; k < 3; ++k, ++calls) {
      auto who = tso->WhoAmI();
      if (!who.ok()) {
        ++failed;
        failures += who.status().ToString() + "\n";
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  cli.join();
  EXPECT_EQ(failed, 0) << failures;
  EXPECT_EQ(rc, 0) << err;
  std::set<std::string> seqs;
  for (int s = 1; s <= n; ++s) {
    const std::string key = "\"seq\":\"" + std::to_string(s) + "\"";
    const size_t at = out.find(key);
    EXPECT_NE(at, std::string::npos) << "seq " << s << " missing";
    EXPECT_EQ(out.find(key, at + 1), std::string::npos) << "seq " << s << " twice";
  }
  // The stream outlived at least one connection.
  EXPECT_NE(err.find("UNAVAILABLE"), std::string::npos) << err;
  std::printf("[ figures  ] %d unary calls, %d failed; CLI resumed %zu times\n", calls, failed,
              static_cast<size_t>(std::count(err.begin(), err.end(), '\n')));
}

// Client-side gRPC log lines, captured while a test needs them.
std::mutex g_log_mu;
std::vector<std::string>* g_log_lines = nullptr;
void CaptureLog(gpr_log_func_args* args) {
  std::lock_guard lock(g_log_mu);
  if (g_log_lines != nullptr) g_log_lines->push_back(args->message);
}

TEST(LimitsTest, AClientPingingTooOftenIsToldTooManyPingsAndCanReconnect) {
  GatewayOptions opts;
  opts.min_client_ping_interval_ms = 60000;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  const DemoCerts& certs = DemoCerts::Get();
  const auto started = std::chrono::steady_clock::now();
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read(certs.File("ca.crt"));
  ssl.pem_private_key = read(certs.File("tso.key"));
  ssl.pem_cert_chain = read(certs.File("tso.crt"));
  grpc::ChannelArguments args;
  // Keepalive every 500 ms, far below the 60 s the gateway allows, with
  // nothing else on the connection. (gRPC spaces a client's pings on an
  // idle connection by a few seconds whatever is asked, so the third one
  // too soon, which the gateway answers with GOAWAY, comes after ~20 s.)
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 500);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_HTTP2_MIN_SENT_PING_INTERVAL_WITHOUT_DATA_MS, 100);

  std::vector<std::string> lines;
  {
    std::lock_guard lock(g_log_mu);
    g_log_lines = &lines;
  }
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_INFO);
  gpr_set_log_function(CaptureLog);
  auto channel = grpc::CreateCustomChannel(gw->address(), grpc::SslCredentials(ssl), args);
  auto stub = v1::RegistryService::NewStub(channel);
  auto who_am_i = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::WhoAmIResponse out;
    return stub->WhoAmI(&ctx, v1::WhoAmIRequest(), &out);
  };
  ASSERT_TRUE(who_am_i().ok());
  const bool told = WaitUntil(
      [&] {
        std::lock_guard lock(g_log_mu);
        for (const auto& l : lines) {
          if (l.find("ENHANCE_YOUR_CALM") != std::string::npos && l.find("too_many_pings") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      40000);
  // gRPC's own client logs the GOAWAY (and slows its pings down); the
  // connection closed with that reason, and the next call connects anew.
  grpc::Status after = who_am_i();
  gpr_set_log_function(nullptr);
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
  {
    std::lock_guard lock(g_log_mu);
    g_log_lines = nullptr;
  }
  EXPECT_TRUE(told) << "no GOAWAY too_many_pings within 40 s";
  std::printf(
      "[ figures  ] told after %lld ms\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()));
  EXPECT_TRUE(after.ok()) << after.error_message();
  EXPECT_TRUE(gw->Alive());
}

}  // namespace
}  // namespace tsodso::testing
