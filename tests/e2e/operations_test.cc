// Operator notices, refusals that change nothing, and the daemon's
// behaviour around its database and signals, end to end.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "e2e/e2e_util.h"
#include "store/pg.h"

namespace tsodso::testing {
namespace {

int64_t EventCount(const std::string& dsn) { return QueryCount(dsn, "SELECT count(*) FROM events"); }

TEST(OperationsTest, PublishNoticeIsDeniedToTsoAndAggregatorsAndChangesNothing) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  for (const std::string who : {"tso", "agg1", "agg2"}) {
    auto r = gw->ClientAs(who)->PublishNotice(NoticeRequest("not yours to say"));
    ASSERT_FALSE(r.ok()) << who;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << r.status();
    EXPECT_NE(r.status().message().find("DSO operator"), absl::string_view::npos);
    auto argv = gw->CliAs(who);
    for (std::string a : {"notice", "publish", "--text", "hello"}) argv.push_back(a);
    std::string out, err;
    EXPECT_EQ(RunCommand(argv, &out, &err), 4) << err;
    EXPECT_NE(err.find("PERMISSION_DENIED"), std::string::npos) << err;
  }
  EXPECT_EQ(EventCount(opts.dsn), 0);
}

TEST(OperationsTest, InvalidNoticesNameTheFieldAndChangeNothing) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  struct Case {
    v1::PublishNoticeRequest req;
    std::string needle;
  };
  std::vector<Case> cases;
  cases.push_back({NoticeRequest(""), "text"});
  cases.push_back({NoticeRequest("ok", {"NOWHERE"}), "pcc_ids[0]: unknown PCC 'NOWHERE'"});
  {
    auto r = NoticeRequest("ok");
    r.set_severity(v1::SEVERITY_UNSPECIFIED);
    cases.push_back({r, "severity: 0"});
  }
  {
    auto r = NoticeRequest("ok");
    r.mutable_valid_from()->set_seconds(2000000000);
    r.mutable_valid_to()->set_seconds(1900000000);
    cases.push_back({r, "valid_to"});
  }
  cases.push_back({NoticeRequest("ok", {}, "has space"), "idempotency_key"});
  cases.push_back({NoticeRequest(std::string(4001, 'y')), "4001"});
  for (const Case& c : cases) {
    auto r = op->PublishNotice(c.req);
    ASSERT_FALSE(r.ok()) << c.needle;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_NE(std::string(r.status().message()).find(c.needle), std::string::npos) << r.status();
  }
  EXPECT_EQ(EventCount(opts.dsn), 0);
}

TEST(OperationsTest, RetriedNoticeIsAnsweredNotRepeated) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  auto req = NoticeRequest("congestion expected 18:00-20:00", {"PS_SUD", "PS_EST"}, "retry-key-1");
  auto first = op->PublishNotice(req);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replayed());
  ASSERT_EQ(first->event_seqs_size(), 2);
  auto again = op->PublishNotice(req);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed());
  EXPECT_EQ(again->notice_id(), first->notice_id());
  EXPECT_EQ(again->event_seqs(0), first->event_seqs(0));
  EXPECT_EQ(EventCount(opts.dsn), 2);

  req.set_text("something else");
  auto clash = op->PublishNotice(req);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(clash.status().message().find("retry-key-1"), absl::string_view::npos);
  EXPECT_EQ(EventCount(opts.dsn), 2);
}

TEST(OperationsTest, DatabaseStoppedAndRestartedUnderARunningGateway) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  FeedCollector tso(*gw, "tso", All());
  auto op = gw->ClientAs("operator");
  Publish(*op, "before outage");
  ASSERT_TRUE(tso.WaitForEvents(1));

  PgCluster::Get().Stop();
  for (int i = 0; i < 3; ++i) {
    auto r = op->PublishNotice(NoticeRequest("during outage"));
    ASSERT_FALSE(r.ok()) << "a write must never be acknowledged without its database";
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  }
  PgCluster::Get().Start();

  // The gateway reconnects by itself; the next write commits.
  absl::StatusOr<v1::PublishNoticeResponse> after;
  for (int i = 0; i < 100; ++i) {
    after = op->PublishNotice(NoticeRequest("after outage"));
    if (after.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(after.ok()) << after.status() << "\n" << gw->Log();
  ASSERT_TRUE(tso.WaitForEvents(2, 30000)) << gw->Log();
  auto events = tso.events();
  EXPECT_EQ(events[1].notice().text(), "after outage");
  EXPECT_EQ(tso.seqs(), (std::vector<int64_t>{1, 2}));
}

TEST(OperationsTest, SigtermEndsStreamsWithUnavailableAndExitsZero) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  Publish(*op, "one");
  FeedCollector tso(*gw, "tso", All(), false);
  ASSERT_TRUE(tso.WaitForEvents(1));
  // The hint names the last write the gateway saw completed; give its
  // completion a moment to arrive after the client has the event.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(gw->Terminate(), 0) << gw->Log();
  auto end = tso.WaitForStreamEnd();
  EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
  EXPECT_NE(std::string(end.message()).find("resume_after_seq=1"), std::string::npos) << end;
  EXPECT_NE(gw->Log().find("stopped"), std::string::npos);
}

// SIGTERM while the gateway computes grid-limited areas (its own FLEXIBILITY
// figures and a TSO's 48-hour requests): the computations give up, the
// requests still computing are answered UNAVAILABLE, and the daemon exits
// within its grace.
TEST(OperationsTest, SigtermMidComputationExitsWithinTheGrace) {
  GatewayOptions opts;
  opts.flexibility = true;
  opts.grid_model_dir = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud";
  opts.shutdown_grace_ms = 2000;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto tso = gw->ClientAs("tso");
  // Four 48-hour requests a quarter hour apart, at once, two per compute
  // worker: 768 linear programs of the grid-aware area, well over the
  // second before SIGTERM on this network even with warm starts, beside
  // the gateway's own 96. (SIGTERM comes after the gateway's first
  // forecasts, which do not give up mid-way.)
  constexpr int kRequests = 4;
  std::vector<absl::StatusOr<v1::GetFlexibilityResponse>> answers(kRequests);
  std::vector<std::thread> requests;
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  for (int i = 0; i < kRequests; ++i) {
    v1::GetFlexibilityRequest req;
    req.set_pcc_id("PS_SUD");
    req.set_include_grid_limited(true);
    req.mutable_from()->set_seconds(now_s - now_s % 900 + i * 900);
    req.mutable_to()->set_seconds(now_s - now_s % 900 + i * 900 + 48 * 3600);
    requests.emplace_back([&, i, req] { answers[i] = tso->GetFlexibility(req); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const auto start = std::chrono::steady_clock::now();
  const int rc = gw->Terminate(20000);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  for (auto& t : requests) t.join();
  EXPECT_EQ(rc, 0) << gw->Log();
  EXPECT_LT(took.count(), opts.shutdown_grace_ms + 1000) << gw->Log();
  // Those still computing are answered UNAVAILABLE.
  int stopped = 0;
  for (const auto& answer : answers) {
    if (answer.ok()) continue;
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << answer.status();
    ++stopped;
  }
  EXPECT_GT(stopped, 0) << "four 48-hour grid-limited answers in 1 s";
}

TEST(OperationsTest, UnreachableDatabaseAtStartExitsNonZeroNamingTheHost) {
  GatewayOptions opts;
  opts.dsn = "host=127.0.0.9 port=1 dbname=tsodso user=tsodso connect_timeout=3";
  GatewayProcess gw(opts);
  auto st = gw.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("127.0.0.9"), std::string::npos) << st;
  EXPECT_NE(std::string(st.message()).find("cannot start"), std::string::npos) << st;
}

TEST(OperationsTest, WithoutADatabaseTheDaemonRunsAndStopsItsOwnCluster) {
  GatewayOptions opts;
  opts.dsn = "";
  GatewayProcess gw(opts);
  ASSERT_TRUE(gw.Start().ok()) << gw.Log();
  const std::string pid_file = gw.data_dir() + "/postgres/data/postmaster.pid";
  EXPECT_TRUE(std::filesystem::exists(pid_file));
  auto op = gw.ClientAs("operator");
  Publish(*op, "embedded");
  auto who = gw.ClientAs("tso")->WhoAmI();
  EXPECT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(gw.Terminate(), 0) << gw.Log();
  EXPECT_FALSE(std::filesystem::exists(pid_file)) << "the private cluster is still running";

  // A second start reuses the cluster: the notice is still there.
  ASSERT_TRUE(gw.Start().ok()) << gw.Log();
  FeedCollector tso(gw, "tso", All(), false);
  ASSERT_TRUE(tso.WaitForEvents(1));
  EXPECT_EQ(tso.events()[0].notice().text(), "embedded");
  EXPECT_NE(gw.Log().find("0 migration(s) applied"), std::string::npos);
}

TEST(OperationsTest, AuditVerifyDetectsATamperedRecord) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  Publish(*gw->ClientAs("operator"), "audited");
  (void)gw->ClientAs("tso")->WhoAmI();
  (void)gw->ClientAs("agg1")->PublishNotice(NoticeRequest("denied"));
  // A refused certificate is recorded too, asynchronously.
  (void)gw->ClientAs("unregistered")->WhoAmI();
  ASSERT_TRUE(WaitUntil([&] { return QueryCount(opts.dsn, "SELECT count(*) FROM audit_log") >= 4; }, 10000))
      << gw->Log();
  std::string out, err;
  const std::vector<std::string> verify = {BinPath("tsodso-gatewayd"), "audit", "verify", "--config",
                                           gw->config_path()};
  ASSERT_EQ(RunCommand(verify, &out, &err), 0) << out << err;
  EXPECT_NE(out.find("audit chain intact: 4 records"), std::string::npos) << out;

  auto conn = store::PgConnection::Open(opts.dsn);
  ASSERT_TRUE(conn.ok());
  auto methods = (*conn)->Exec("SELECT method, outcome, party_id FROM audit_log ORDER BY id");
  ASSERT_TRUE(methods.ok());
  EXPECT_EQ(methods->Text(2, 1), "PERMISSION_DENIED");
  EXPECT_EQ(methods->Text(2, 2), "agg-1");
  ASSERT_EQ(methods->rows(), 4);
  EXPECT_EQ(methods->Text(3, 0), "/tsodso.v1.RegistryService/WhoAmI");
  EXPECT_EQ(methods->Text(3, 1), "UNAUTHENTICATED");
  EXPECT_EQ(methods->Text(3, 2), "(unregistered) urn:tsodso:party:stranger");
  ASSERT_TRUE((*conn)->Exec("UPDATE audit_log SET outcome = 'OK' WHERE id = 3").ok());
  EXPECT_EQ(RunCommand(verify, &out, &err), 1) << out << err;
  EXPECT_NE(out.find("audit record 3"), std::string::npos) << out;
}

TEST(OperationsTest, CheckConfigRejectsAnUnknownKeyNamingFileAndKey) {
  TempDir dir("cfg");
  const std::string path = dir / "bad.yaml";
  std::ofstream(path) << "listen: \"127.0.0.1:0\"\ndata_dir: x\nheartbeat: 5\n";
  std::string out, err;
  EXPECT_EQ(RunCommand({BinPath("tsodso-gatewayd"), "--config", path, "--check-config"}, &out, &err), 2);
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("heartbeat"), std::string::npos) << err;
  EXPECT_EQ(RunCommand({BinPath("tsodso-gatewayd"), "--config", std::string(TSODSO_SOURCE_DIR) + "/config/gateway.yaml",
                        "--check-config"},
                       &out, &err),
            0)
      << err;
}

}  // namespace
}  // namespace tsodso::testing
