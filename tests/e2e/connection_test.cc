// What the CLI and the client library say when a call ends UNAVAILABLE or
// DEADLINE_EXCEEDED: whether the connection to the gateway was ever
// established, so that a call that never reached the gateway (a stalled TCP
// connect, TLS handshake or name lookup) is told apart from one the gateway
// did not answer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

// A socket on 127.0.0.1 that never answers: TCP (listening, so a connect
// completes in the kernel's backlog and the TLS handshake then waits
// forever) or UDP (a name server that never replies).
class SilentSocket {
 public:
  explicit SilentSocket(int type) {
    fd_ = socket(AF_INET, type, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (type == SOCK_STREAM) {
      EXPECT_EQ(listen(fd_, 16), 0);
    }
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentSocket() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::vector<std::string> Cli(const std::string& server, int timeout_ms) {
  const DemoCerts& certs = DemoCerts::Get();
  return {BinPath("tsodso"),
          "--server",
          server,
          "--cert",
          certs.File("operator.crt"),
          "--key",
          certs.File("operator.key"),
          "--ca",
          certs.File("ca.crt"),
          "--timeout-ms",
          std::to_string(timeout_ms)};
}

int RunCli(std::vector<std::string> argv, const std::vector<std::string>& verb, std::string* err) {
  argv.insert(argv.end(), verb.begin(), verb.end());
  std::string out;
  return RunCommand(argv, &out, err);
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ConnectionTest, DeadlineOnAServerThatNeverAnswersTlsSaysTheConnectionWasNeverEstablished) {
  SilentSocket server(SOCK_STREAM);
  const std::string address = "127.0.0.1:" + std::to_string(server.port());
  std::string err;
  EXPECT_EQ(RunCli(Cli(address, 1500), {"notice", "publish", "--text", "hello"}, &err), 3) << err;
  EXPECT_TRUE(Has(err, "DEADLINE_EXCEEDED")) << err;
  EXPECT_TRUE(Has(err, "after 1500 ms")) << err;
  EXPECT_TRUE(Has(err, "the connection to " + address + " was never established (state CONNECTING)")) << err;
  EXPECT_FALSE(Has(err, "name not resolved")) << err;
}

TEST(ConnectionTest, DeadlineWhileTheNameIsLookedUpSaysSo) {
  // A name server that never replies, named in the target's authority.
  SilentSocket dns(SOCK_DGRAM);
  const std::string address = "dns://127.0.0.1:" + std::to_string(dns.port()) + "/gateway.invalid:50051";
  std::string err;
  EXPECT_EQ(RunCli(Cli(address, 1500), {"whoami"}, &err), 3) << err;
  EXPECT_TRUE(Has(err, "DEADLINE_EXCEEDED")) << err;
  EXPECT_TRUE(Has(err, "was never established (state CONNECTING, name not resolved yet)")) << err;
}

TEST(ConnectionTest, UnavailableWhenNothingListensSaysTheConnectionWasNeverEstablished) {
  int port;
  {
    SilentSocket closed(SOCK_STREAM);  // a port that was free a moment ago
    port = closed.port();
  }
  std::string err;
  EXPECT_EQ(RunCli(Cli("127.0.0.1:" + std::to_string(port), 5000), {"health"}, &err), 3) << err;
  EXPECT_TRUE(Has(err, "UNAVAILABLE")) << err;
  EXPECT_TRUE(Has(err, "was never established (state TRANSIENT_FAILURE)")) << err;
}

TEST(ConnectionTest, AStoppedGatewayAcceptsTcpButANewCliNeverConnects) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  std::string err;
  ASSERT_EQ(RunCli(Cli(gw->address(), 10000), {"whoami"}, &err), 0) << err;
  gw->Signal(SIGSTOP);
  const int rc = RunCli(Cli(gw->address(), 1500), {"notice", "publish", "--text", "stopped"}, &err);
  gw->Signal(SIGCONT);
  EXPECT_EQ(rc, 3) << err;
  EXPECT_TRUE(Has(err, "the connection to " + gw->address() + " was never established (state CONNECTING)")) << err;
}

TEST(ConnectionTest, DeadlineOnAConnectedGatewaySaysItWasConnectedAndDidNotAnswer) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  const DemoCerts& certs = DemoCerts::Get();
  client::ConnectionOptions opts;
  opts.server = gw->address();
  opts.cert_file = certs.File("operator.crt");
  opts.key_file = certs.File("operator.key");
  opts.ca_file = certs.File("ca.crt");
  opts.timeout_ms = 1500;
  auto op = client::Client::Connect(opts);
  ASSERT_TRUE(op.ok()) << op.status();
  ASSERT_TRUE((*op)->WhoAmI().ok());
  // The connection stays up (the kernel holds it), the gateway answers nothing.
  gw->Signal(SIGSTOP);
  auto r = (*op)->PublishNotice(NoticeRequest("while stopped"));
  gw->Signal(SIGCONT);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  const std::string message(r.status().message());
  EXPECT_TRUE(Has(message, "after 1500 ms; connected to " + gw->address() + " in ")) << message;
  EXPECT_TRUE(Has(message, "no answer (state now READY)")) << message;
  // Once the gateway runs again the same client's calls go through.
  EXPECT_TRUE((*op)->WhoAmI().ok());
}

}  // namespace
}  // namespace tsodso::testing
