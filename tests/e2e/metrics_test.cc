// The gateway's metrics as its operators see them: a real Prometheus
// (Debian's package) scrapes the daemon's metrics listener, with the alert
// rules of deploy/prometheus/ loaded, and the test asks Prometheus's HTTP
// API what it saw.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "e2e/e2e_util.h"
#include "support/prometheus_process.h"

namespace tsodso::testing {
namespace {

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GatewayOptions opts;
    opts.dsn = PgCluster::Get().NewDatabase();
    opts.metrics_listen = "127.0.0.1:0";
    gw_ = StartGateway(opts);
    ASSERT_NE(gw_, nullptr);
    ASSERT_GT(gw_->metrics_port(), 0) << gw_->Log();
    target_ = absl::StrCat("127.0.0.1:", gw_->metrics_port());
  }

  std::string Scrape() {
    std::string body;
    EXPECT_EQ(HttpGet(absl::StrCat("http://", target_, "/metrics"), &body), 200) << body;
    return body;
  }

  std::unique_ptr<GatewayProcess> gw_;
  std::string target_;
};

TEST_F(MetricsTest, TheListenerServesPrometheusTextFormat) {
  const std::string body = Scrape();
  for (const char* family : {"# TYPE tsodso_tls_certificate_not_after_timestamp_seconds gauge",
                             "tsodso_tls_certificate_not_after_timestamp_seconds{certificate=\"server\"}",
                             "tsodso_tls_certificate_not_after_timestamp_seconds{certificate=\"ca\"}"}) {
    EXPECT_NE(body.find(family), std::string::npos) << family << "\n" << body;
  }
}

TEST_F(MetricsTest, ARealPrometheusScrapesTheGateway) {
  PrometheusProcess prometheus({target_});
  ASSERT_TRUE(prometheus.Start().ok());
  auto up = prometheus.WaitFor("up{job=\"tsodso-gateway\"}", [](double v) { return v == 1; });
  ASSERT_EQ(up, 1) << prometheus.Log();
  // The demo server certificate is valid for a year or more from now.
  auto days = prometheus.WaitFor(
      "(tsodso_tls_certificate_not_after_timestamp_seconds{certificate=\"server\"} - time()) / 86400",
      [](double v) { return v > 0; });
  ASSERT_TRUE(days.has_value()) << prometheus.Log();
  EXPECT_GT(*days, 30);
  // Counters move as the gateway is driven: a certificate that names no
  // party is refused, and counted by reason.
  EXPECT_FALSE(gw_->ClientAs("unregistered")->WhoAmI().ok());
  EXPECT_FALSE(gw_->ClientAs("unregistered")->WhoAmI().ok());
  auto refused = prometheus.WaitFor("sum(tsodso_identities_refused_total{reason=\"unregistered\"})",
                                    [](double v) { return v >= 2; });
  EXPECT_EQ(refused, 2) << prometheus.Log();
  // Calls are counted by service, method and code, and timed; the feed
  // shows its open streams by role, its head and what it committed.
  auto tso = std::make_unique<FeedCollector>(*gw_, "tso", All());
  EXPECT_EQ(prometheus.WaitFor("sum(tsodso_feed_streams{role=\"TSO\"})", [](double v) { return v == 1; }), 1);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(gw_->ClientAs("operator")->PublishNotice(NoticeRequest(absl::StrCat("counted ", i))).ok());
  }
  EXPECT_FALSE(gw_->ClientAs("tso")->PublishNotice(NoticeRequest("refused")).ok());
  const std::string notices =
      "tsodso_grpc_requests_total{service=\"tsodso.v1.OperatorService\",method=\"PublishNotice\"";
  EXPECT_EQ(prometheus.WaitFor("sum(" + notices + ",code=\"OK\"})", [](double v) { return v == 3; }), 3);
  EXPECT_EQ(prometheus.WaitFor("sum(" + notices + ",code=\"PERMISSION_DENIED\"})", [](double v) { return v == 1; }), 1);
  EXPECT_EQ(prometheus.WaitFor("sum(tsodso_grpc_request_duration_seconds_count{method=\"PublishNotice\"})",
                               [](double v) { return v == 4; }),
            4);
  EXPECT_EQ(prometheus.Query("sum(tsodso_grpc_in_flight_requests{method=\"PublishNotice\"})"), 0);
  ASSERT_TRUE(tso->WaitForEvents(3));
  EXPECT_EQ(prometheus.WaitFor("tsodso_feed_head_seq", [](double v) { return v == 3; }), 3);
  EXPECT_EQ(
      prometheus.WaitFor("sum(tsodso_feed_events_committed_total{topic=\"NOTICE\"})", [](double v) { return v == 3; }),
      3);
  // Written to the stream, by topic; each went through the stream's queue
  // (it went live at once: it asked for nothing before the head).
  EXPECT_EQ(
      prometheus.WaitFor("sum(tsodso_feed_events_delivered_total{topic=\"NOTICE\"})", [](double v) { return v == 3; }),
      3);
  EXPECT_EQ(prometheus.Query("tsodso_feed_stream_queue_depth_count"), 3);
  EXPECT_GE(prometheus.Query("tsodso_feed_stream_queue_depth_sum").value_or(0), 3);
  EXPECT_EQ(prometheus.Query("sum(tsodso_feed_replay_pages_total)").value_or(0), 0);
  // A subscriber that resumes after the first notice gets the rest from the
  // gateway's recent events: one resume, served from memory, no page of
  // the log read, two more deliveries.
  v1::SubscribeRequest resume = All();
  resume.set_resume_after_seq(1);
  auto resumed = std::make_unique<FeedCollector>(*gw_, "tso", resume);
  ASSERT_TRUE(resumed->WaitForEvents(2));
  EXPECT_EQ(prometheus.WaitFor("tsodso_feed_resumes_total", [](double v) { return v == 1; }), 1);
  EXPECT_EQ(prometheus.WaitFor("tsodso_feed_memory_resumes_total", [](double v) { return v == 1; }), 1);
  EXPECT_EQ(prometheus.Query("sum(tsodso_feed_replay_pages_total)").value_or(-1), 0);
  EXPECT_EQ(
      prometheus.WaitFor("sum(tsodso_feed_events_delivered_total{topic=\"NOTICE\"})", [](double v) { return v == 5; }),
      5);
  // Every call above was audited: three notices published, one refused,
  // two unregistered callers turned away.
  EXPECT_GE(prometheus.WaitFor("tsodso_audit_records_total", [](double v) { return v >= 4; }).value_or(0), 4);
  resumed.reset();
  tso.reset();  // the clients end their streams: no cut, and no stream left
  EXPECT_EQ(prometheus.WaitFor("sum(tsodso_feed_streams)", [](double v) { return v == 0; }), 0);
  EXPECT_EQ(prometheus.Query("sum(tsodso_feed_subscribers_cut_total)"), std::nullopt);
  // The database pool: its workers, and the transactions they ran.
  EXPECT_EQ(prometheus.Query("tsodso_db_workers"), 3);
  EXPECT_GE(prometheus.Query("tsodso_db_transaction_duration_seconds_count").value_or(0), 1);
  EXPECT_EQ(prometheus.Query("tsodso_db_queue_depth"), 0);
  // The alert rules loaded and evaluate: nothing of this healthy gateway
  // fires but the absent publisher (no flexibility is configured here).
  EXPECT_EQ(prometheus.Query("count(ALERTS{alertname=\"TsodsoGatewayDown\",alertstate=\"firing\"})"), std::nullopt);
}

// A publishing gateway shows what the alert rules watch: the publisher
// lock held, and each PCC's last publication and its period.
TEST(MetricsPublishingTest, PrometheusSeesThePublisherAndItsLastPublication) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  opts.metrics_listen = "127.0.0.1:0";
  opts.flexibility = true;
  opts.grid_model_dir = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud";
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  PrometheusProcess prometheus({absl::StrCat("127.0.0.1:", gw->metrics_port())});
  ASSERT_TRUE(prometheus.Start().ok());
  auto published = prometheus.WaitFor(
      "time() - max(tsodso_last_publish_timestamp_seconds{kind=\"flexibility\",pcc=\"PS_SUD\"})",
      [](double age) { return age >= 0 && age < 600; }, 120000);
  ASSERT_TRUE(published.has_value()) << prometheus.Log() << gw->Log();
  EXPECT_EQ(prometheus.Query("max(tsodso_publish_interval_seconds{kind=\"flexibility\"})"), 900);
  EXPECT_EQ(prometheus.WaitFor("sum(tsodso_publisher_lock_held)", [](double v) { return v == 1; }), 1);
  // The work behind it was timed, by kind: the DERs' area, the network's
  // area on top, and the forecasts issued at start.
  for (const char* kind : {"flexibility", "grid_limited", "forecast"}) {
    const std::string count = absl::StrCat("tsodso_compute_duration_seconds_count{kind=\"", kind, "\"}");
    EXPECT_GE(prometheus
                  .WaitFor(
                      count, [](double v) { return v >= 1; }, 120000)
                  .value_or(0),
              1)
        << kind;
    EXPECT_GT(prometheus.Query(absl::StrCat("tsodso_compute_duration_seconds_sum{kind=\"", kind, "\"}")).value_or(0), 0)
        << kind;
  }
  EXPECT_GE(prometheus
                .WaitFor("count(tsodso_last_publish_timestamp_seconds{kind=~\"forecast_.*\",pcc=\"PS_SUD\"})",
                         [](double v) { return v >= 1; })
                .value_or(0),
            1);
  EXPECT_EQ(
      prometheus.Query("count(ALERTS{alertname=~\"TsodsoNoPublisher|TsodsoPublicationLate\",alertstate=\"firing\"})"),
      std::nullopt);
}

}  // namespace
}  // namespace tsodso::testing
