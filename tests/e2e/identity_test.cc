// Who gets in and as whom: mutual TLS and the party registry, end to end.
#include <fstream>

#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

class IdentityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gw_ = StartGateway().release(); }
  static void TearDownTestSuite() {
    delete gw_;
    gw_ = nullptr;
  }
  static GatewayProcess* gw_;
};
GatewayProcess* IdentityTest::gw_ = nullptr;

TEST_F(IdentityTest, WhoAmIReportsThePartyOfEachCertificate) {
  ASSERT_NE(gw_, nullptr);
  struct Case {
    std::string cert, party;
    v1::Role role;
    std::vector<std::string> pccs;
  };
  for (const Case& c :
       std::vector<Case>{{"tso", "tso-terna", v1::ROLE_TSO, {"PS_EST", "PS_OVEST", "PS_SUD"}},
                         {"agg1", "agg-1", v1::ROLE_AGGREGATOR, {"PS_SUD"}},
                         {"agg2", "agg-2", v1::ROLE_AGGREGATOR, {"PS_EST", "PS_OVEST"}},
                         {"operator", "dso-operator", v1::ROLE_DSO_OPERATOR, {"PS_EST", "PS_OVEST", "PS_SUD"}}}) {
    auto client = gw_->ClientAs(c.cert);
    auto who = client->WhoAmI();
    ASSERT_TRUE(who.ok()) << c.cert << ": " << who.status();
    EXPECT_EQ(who->party_id(), c.party);
    EXPECT_EQ(who->role(), c.role);
    EXPECT_EQ(who->certificate_identity(), "urn:tsodso:party:" + c.party);
    EXPECT_EQ(std::vector<std::string>(who->pcc_ids().begin(), who->pcc_ids().end()), c.pccs);
  }
}

TEST_F(IdentityTest, ListPccsShowsOnlyWhatThePartyMaySee) {
  ASSERT_NE(gw_, nullptr);
  auto pccs = gw_->ClientAs("agg1")->ListPccs();
  ASSERT_TRUE(pccs.ok()) << pccs.status();
  ASSERT_EQ(pccs->pccs_size(), 1);
  EXPECT_EQ(pccs->pccs(0).pcc_id(), "PS_SUD");
  EXPECT_EQ(pccs->pccs(0).display_name(), "Milano PS Sud");
  EXPECT_EQ(pccs->pccs(0).voltage_levels_kv_size(), 2);
  auto all = gw_->ClientAs("tso")->ListPccs();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->pccs_size(), 3);
}

TEST_F(IdentityTest, CliWhoAmIPrintsJsonAndExitsZero) {
  ASSERT_NE(gw_, nullptr);
  auto argv = gw_->CliAs("agg2");
  argv.push_back("--json");
  argv.push_back("whoami");
  std::string out, err;
  EXPECT_EQ(RunCommand(argv, &out, &err), 0) << err;
  EXPECT_NE(out.find("\"party_id\":\"agg-2\""), std::string::npos) << out;
  EXPECT_NE(out.find("ROLE_AGGREGATOR"), std::string::npos) << out;
}

TEST_F(IdentityTest, UnregisteredCertificateIsRefusedBeforeAnyHandler) {
  ASSERT_NE(gw_, nullptr);
  auto who = gw_->ClientAs("unregistered")->WhoAmI();
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(who.status().message().find("urn:tsodso:party:stranger"), absl::string_view::npos);

  auto argv = gw_->CliAs("unregistered");
  argv.push_back("pccs");
  std::string out, err;
  EXPECT_EQ(RunCommand(argv, &out, &err), 4) << err;
  EXPECT_NE(err.find("UNAUTHENTICATED"), std::string::npos) << err;
  EXPECT_TRUE(out.empty());
}

TEST_F(IdentityTest, ForeignCaAndExpiredCertificatesFailTheHandshake) {
  ASSERT_NE(gw_, nullptr);
  for (const std::string who : {"foreign", "expired"}) {
    auto r = gw_->ClientAs(who)->WhoAmI();
    ASSERT_FALSE(r.ok()) << who;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << who << ": " << r.status();
  }
}

TEST_F(IdentityTest, NoClientCertificateFailsTheHandshake) {
  ASSERT_NE(gw_, nullptr);
  std::ifstream in(DemoCerts::Get().File("ca.crt"));
  std::string ca((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca;
  auto channel = grpc::CreateChannel(gw_->address(), grpc::SslCredentials(ssl));
  auto stub = v1::RegistryService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::WhoAmIResponse resp;
  grpc::Status st = stub->WhoAmI(&ctx, v1::WhoAmIRequest(), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_TRUE(resp.party_id().empty());
}

TEST_F(IdentityTest, MetadataCannotChangeWhoTheCallerIs) {
  ASSERT_NE(gw_, nullptr);
  const DemoCerts& certs = DemoCerts::Get();
  auto read = [](const std::string& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read(certs.File("ca.crt"));
  ssl.pem_cert_chain = read(certs.File("agg1.crt"));
  ssl.pem_private_key = read(certs.File("agg1.key"));
  auto channel = grpc::CreateChannel(gw_->address(), grpc::SslCredentials(ssl));
  auto stub = v1::RegistryService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.AddMetadata("tsodso_party_id", "dso-operator");
  ctx.AddMetadata("x-party", "dso-operator");
  v1::WhoAmIResponse resp;
  grpc::Status st = stub->WhoAmI(&ctx, v1::WhoAmIRequest(), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.party_id(), "agg-1");
  EXPECT_EQ(resp.role(), v1::ROLE_AGGREGATOR);
}

TEST_F(IdentityTest, TlsBelowVersion12IsRefusedAnd13IsNegotiated) {
  ASSERT_NE(gw_, nullptr);
  const DemoCerts& certs = DemoCerts::Get();
  auto s_client = [&](const std::string& version, std::string* out) {
    return RunCommand(
        {"/bin/sh", "-c",
         "openssl s_client -connect " + gw_->address() + " " + version + " -alpn h2 -cert " + certs.File("tso.crt") +
             " -key " + certs.File("tso.key") + " -CAfile " + certs.File("ca.crt") + " </dev/null 2>&1"},
        out, nullptr, 20000);
  };
  std::string out13;
  s_client("-tls1_3", &out13);
  EXPECT_NE(out13.find("New, TLSv1.3, Cipher is TLS_"), std::string::npos) << out13;
  EXPECT_NE(out13.find("BEGIN CERTIFICATE"), std::string::npos) << out13;
  std::string out11;
  s_client("-tls1_1", &out11);
  // The server sends nothing back: no certificate, no cipher agreed.
  EXPECT_NE(out11.find("Cipher is (NONE)"), std::string::npos) << out11;
  EXPECT_EQ(out11.find("BEGIN CERTIFICATE"), std::string::npos) << out11;
}

TEST_F(IdentityTest, HealthServiceReportsServing) {
  ASSERT_NE(gw_, nullptr);
  EXPECT_TRUE(gw_->ClientAs("tso")->Health().ok());
  auto argv = gw_->CliAs("tso");
  argv.push_back("health");
  std::string out;
  EXPECT_EQ(RunCommand(argv, &out), 0);
  EXPECT_EQ(out, "SERVING\n");
}

}  // namespace
}  // namespace tsodso::testing
