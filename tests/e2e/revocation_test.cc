// Certificates and the party registry change while the gateway runs: a
// revoked or expired certificate is refused at the next handshake and its
// open stream is cut within one refresh interval; SIGHUP adds and removes
// parties, changes the log level, and a bad file changes nothing.
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "e2e/e2e_util.h"
#include "store/pg.h"
#include "support/status_testing.h"
#include "support/temp_dir.h"

namespace tsodso::testing {
namespace {

namespace fs = std::filesystem;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

X509Ptr ReadCert(const std::string& path) {
  std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>> bio(BIO_new_file(path.c_str(), "r"));
  return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

KeyPtr ReadKey(const std::string& path) {
  std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>> bio(BIO_new_file(path.c_str(), "r"));
  return KeyPtr(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

// Write a CRL of the demo CA that revokes the given certificates.
void WriteCrl(const std::vector<std::string>& revoked_certs, const std::string& out) {
  const DemoCerts& certs = DemoCerts::Get();
  X509Ptr ca = ReadCert(certs.File("ca.crt"));
  KeyPtr key = ReadKey(certs.File("ca.key"));
  ASSERT_TRUE(ca && key);
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca.get()));
  std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>> now(ASN1_TIME_adj(nullptr, time(nullptr), 0, -60));
  std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>> next(ASN1_TIME_adj(nullptr, time(nullptr), 7, 0));
  X509_CRL_set1_lastUpdate(crl, now.get());
  X509_CRL_set1_nextUpdate(crl, next.get());
  for (const std::string& path : revoked_certs) {
    X509Ptr cert = ReadCert(path);
    ASSERT_TRUE(cert) << path;
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(cert.get()));
    X509_REVOKED_set_revocationDate(r, now.get());
    X509_CRL_add0_revoked(crl, r);
  }
  X509_CRL_sort(crl);
  ASSERT_GT(X509_CRL_sign(crl, key.get(), EVP_sha256()), 0);
  const std::string tmp = out + ".tmp";
  {
    std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>> bio(BIO_new_file(tmp.c_str(), "w"));
    ASSERT_TRUE(bio);
    PEM_write_bio_X509_CRL(bio.get(), crl);
  }
  X509_CRL_free(crl);
  fs::rename(tmp, out);
}

// Issue a certificate for `uri` from the demo CA, valid for `seconds`;
// write it and its key as <dir>/<name>.crt and .key.
void IssueShortLived(const std::string& uri, int seconds, const std::string& dir, const std::string& name) {
  const DemoCerts& certs = DemoCerts::Get();
  X509Ptr ca = ReadCert(certs.File("ca.crt"));
  KeyPtr ca_key = ReadKey(certs.File("ca.key"));
  ASSERT_TRUE(ca && ca_key);
  KeyPtr key(EVP_EC_gen("P-256"));
  ASSERT_TRUE(key);
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), seconds);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.get(), cert.get(), nullptr, nullptr, 0);
  for (const std::string& ext : {"subjectAltName=URI:" + uri, std::string("extendedKeyUsage=clientAuth"),
                                 std::string("basicConstraints=CA:FALSE")}) {
    const size_t eq = ext.find('=');
    X509_EXTENSION* e = X509V3_EXT_conf(nullptr, &ctx, ext.substr(0, eq).c_str(), ext.substr(eq + 1).c_str());
    ASSERT_NE(e, nullptr) << ext;
    X509_add_ext(cert.get(), e, -1);
    X509_EXTENSION_free(e);
  }
  ASSERT_GT(X509_sign(cert.get(), ca_key.get(), EVP_sha256()), 0);
  std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>> c(BIO_new_file((dir + "/" + name + ".crt").c_str(), "w"));
  PEM_write_bio_X509(c.get(), cert.get());
  std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>> k(BIO_new_file((dir + "/" + name + ".key").c_str(), "w"));
  PEM_write_bio_PrivateKey(k.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
}

std::unique_ptr<client::Client> ClientWith(const GatewayProcess& gw, const std::string& cert, const std::string& key) {
  client::ConnectionOptions opts;
  opts.server = gw.address();
  opts.cert_file = cert;
  opts.key_file = key;
  opts.ca_file = DemoCerts::Get().File("ca.crt");
  opts.timeout_ms = 5000;
  auto c = client::Client::Connect(opts);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

// A subscription read on a thread of its own; its end status arrives in
// the future.
struct OpenStream {
  std::unique_ptr<client::Client> client;
  std::atomic<int> messages{0};
  std::future<absl::Status> ended;
  std::thread reader;

  explicit OpenStream(std::unique_ptr<client::Client> c) : client(std::move(c)) {
    std::promise<absl::Status> done;
    ended = done.get_future();
    reader = std::thread([this, done = std::move(done)]() mutable {
      done.set_value(client->Subscribe(All(), [this](const v1::Event&) {
        ++messages;
        return true;
      }));
    });
  }
  ~OpenStream() {
    if (ended.valid() && ended.wait_for(std::chrono::seconds(0)) != std::future_status::ready) client->Cancel();
    reader.join();
  }
  // Wait until the stream has delivered something (a heartbeat at least).
  bool Flowing() {
    for (int i = 0; i < 100 && messages == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return messages > 0;
  }
};

// Poll `ok` every 100 ms for up to `seconds`.
bool Within(int seconds, const std::function<bool()>& ok) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ok();
}

// The audit records of `method` by `party` with `outcome`.
int64_t Audited(const std::string& dsn, const std::string& party, const std::string& method,
                const std::string& outcome) {
  return QueryCount(dsn, "SELECT count(*) FROM audit_log WHERE party_id = $1 AND method = $2 AND outcome = $3",
                    {party, method, outcome});
}

TEST(RevocationTest, ARevokedCertificateIsRefusedAndItsOpenStreamCutWithoutARestart) {
  TempDir crls("crl");
  GatewayOptions options;
  options.dsn = PgCluster::Get().NewDatabase();
  options.crl_dir = crls.path();
  options.tls_refresh_interval_s = 1;
  auto gw = StartGateway(options);
  ASSERT_NE(gw, nullptr);
  OpenStream agg1(gw->ClientAs("agg1"));
  OpenStream agg2(gw->ClientAs("agg2"));
  ASSERT_TRUE(agg1.Flowing());
  ASSERT_TRUE(agg2.Flowing());

  const auto revoked_at = std::chrono::steady_clock::now();
  WriteCrl({DemoCerts::Get().File("agg1.crt")}, crls.path() + "/demo.crl.pem");
  ASSERT_EQ(agg1.ended.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "stream not cut";
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - revoked_at).count();
  std::cout << "revoked stream cut after " << seconds << " s (refresh interval 1 s)" << std::endl;
  EXPECT_TRUE(StatusIs(agg1.ended.get(), absl::StatusCode::kUnauthenticated, {"revoked"}));

  // A new connection with the revoked certificate is refused; the others
  // carry on.
  auto again = gw->ClientAs("agg1");
  ASSERT_NE(again, nullptr);
  EXPECT_FALSE(again->WhoAmI().ok());
  EXPECT_EQ(agg2.ended.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  auto who = gw->ClientAs("agg2")->WhoAmI();
  EXPECT_TRUE(who.ok()) << who.status();
  EXPECT_TRUE(Within(10, [&] {
    return Audited(options.dsn, "agg-1", "/tsodso.v1.FeedService/Subscribe", "UNAUTHENTICATED") == 1;
  })) << "the cut stream is audited";
  EXPECT_TRUE(gw->Alive());
}

TEST(RevocationTest, AnExpiredCertificatesOpenStreamIsCut) {
  TempDir dir("short");
  GatewayOptions options;
  options.dsn = PgCluster::Get().NewDatabase();
  options.tls_refresh_interval_s = 1;
  auto gw = StartGateway(options);
  ASSERT_NE(gw, nullptr);
  IssueShortLived("urn:tsodso:party:agg-2", 4, dir.path(), "agg2-short");
  OpenStream stream(ClientWith(*gw, dir.path() + "/agg2-short.crt", dir.path() + "/agg2-short.key"));
  ASSERT_TRUE(stream.Flowing());
  ASSERT_EQ(stream.ended.wait_for(std::chrono::seconds(15)), std::future_status::ready) << "stream not cut";
  EXPECT_TRUE(StatusIs(stream.ended.get(), absl::StatusCode::kUnauthenticated, {"expired"}));
  auto late = ClientWith(*gw, dir.path() + "/agg2-short.crt", dir.path() + "/agg2-short.key");
  ASSERT_NE(late, nullptr);
  EXPECT_FALSE(late->WhoAmI().ok());
}

TEST(ReloadTest, SighupAddsAPartyAndRemovesAnotherWhoseStreamEnds) {
  GatewayOptions options;
  options.dsn = PgCluster::Get().NewDatabase();
  options.omitted_parties = {"agg-2"};
  auto gw = StartGateway(options);
  ASSERT_NE(gw, nullptr);
  EXPECT_TRUE(StatusIs(gw->ClientAs("agg2")->WhoAmI().status(), absl::StatusCode::kUnauthenticated));
  OpenStream agg1(gw->ClientAs("agg1"));
  ASSERT_TRUE(agg1.Flowing());

  gw->options().omitted_parties = {"agg-1"};
  gw->WriteConfig();
  gw->Signal(SIGHUP);
  EXPECT_TRUE(Within(10, [&] { return gw->ClientAs("agg2")->WhoAmI().ok(); })) << gw->Log();
  ASSERT_EQ(agg1.ended.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "stream not cut";
  EXPECT_TRUE(StatusIs(agg1.ended.get(), absl::StatusCode::kUnauthenticated, {"not registered"}));
  EXPECT_TRUE(StatusIs(gw->ClientAs("agg1")->WhoAmI().status(), absl::StatusCode::kUnauthenticated));
  // The operator sees the new registry's portfolios: agg-1's is gone.
  auto who = gw->ClientAs("operator")->WhoAmI();
  EXPECT_TRUE(who.ok()) << who.status();
}

TEST(ReloadTest, SighupChangesTheLogLevelNamesWhatNeedsARestartAndABadFileChangesNothing) {
  GatewayOptions options;
  options.dsn = PgCluster::Get().NewDatabase();
  auto gw = StartGateway(options);
  ASSERT_NE(gw, nullptr);

  gw->options().log_level = "debug";
  gw->options().shutdown_grace_ms = 4000;  // needs a restart
  gw->WriteConfig();
  gw->Signal(SIGHUP);
  EXPECT_TRUE(Within(10, [&] { return gw->Log().find("log level debug") != std::string::npos; })) << gw->Log();
  EXPECT_NE(gw->Log().find("shutdown_grace_ms changed; left as it was until the next start"), std::string::npos);

  // A file that does not load: logged, nothing changes, the daemon serves.
  { std::ofstream(gw->config_path(), std::ios::app) << "no_such_key: 1\n"; }
  gw->Signal(SIGHUP);
  EXPECT_TRUE(Within(10, [&] { return gw->Log().find("reload refused, nothing changed") != std::string::npos; }))
      << gw->Log();
  EXPECT_NE(gw->Log().find("no_such_key"), std::string::npos);
  for (const char* who : {"tso", "agg1", "agg2", "operator"}) {
    auto r = gw->ClientAs(who)->WhoAmI();
    EXPECT_TRUE(r.ok()) << who << ": " << r.status();
  }
  EXPECT_TRUE(gw->Alive());
}

}  // namespace
}  // namespace tsodso::testing
