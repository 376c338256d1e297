// The daemon's private PostgreSQL cluster (no DSN configured) lives and dies
// with the daemon: a killed daemon takes it down, and a restart copes with
// what a killed one leaves behind — stale lock files naming dead, zombie or
// unrelated processes, and an earlier cluster still shutting down.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e/e2e_util.h"
#include "store/pg.h"

namespace tsodso::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Processes other than this one whose command line contains `text`.
std::vector<std::string> ProcessesNaming(const std::string& text) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos || std::stoi(name) == getpid()) continue;
    std::string cmd = ReadText(entry.path().string() + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(text) != std::string::npos) found.push_back(name + ": " + cmd);
  }
  return found;
}

// Whether pid is a process that has not exited (a zombie has).
bool Running(pid_t pid) {
  const std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

std::string PidFile(const GatewayProcess& gw) { return gw.data_dir() + "/postgres/data/postmaster.pid"; }
std::string SocketLockFile(const GatewayProcess& gw) { return gw.data_dir() + "/postgres/.s.PGSQL.5432.lock"; }
std::string ServerLog(const GatewayProcess& gw) { return ReadText(gw.data_dir() + "/postgres/postgresql.log"); }

pid_t PostmasterPid(const GatewayProcess& gw) { return std::atoi(ReadText(PidFile(gw)).c_str()); }

std::string PrivateDsn(const GatewayProcess& gw) {
  return "host=" + gw.data_dir() + "/postgres port=5432 user=tsodso dbname=tsodso";
}

// A lock file's text with its first line (the PID) replaced.
std::string WithPid(const std::string& lock_file_text, pid_t pid) {
  return std::to_string(pid) + lock_file_text.substr(lock_file_text.find('\n'));
}

std::unique_ptr<GatewayProcess> PrivateGateway() {
  GatewayOptions opts;
  opts.dsn = "";
  auto gw = std::make_unique<GatewayProcess>(opts);
  auto st = gw->Start();
  EXPECT_TRUE(st.ok()) << st << gw->Log();
  return st.ok() ? std::move(gw) : nullptr;
}

void ExpectNotices(const GatewayProcess& gw, const std::vector<std::string>& texts) {
  FeedCollector tso(gw, "tso", All(), false);
  ASSERT_TRUE(tso.WaitForEvents(static_cast<int>(texts.size()))) << gw.Log();
  auto events = tso.events();
  ASSERT_EQ(events.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(events[i].notice().text(), texts[i]);
}

TEST(PrivateClusterTest, KilledDaemonTakesItsClusterDownWithinSeconds) {
  auto gw = PrivateGateway();
  ASSERT_NE(gw, nullptr);
  Publish(*gw->ClientAs("operator"), "before kill");
  // A one-shot command uses the running cluster and leaves it running.
  std::string out, err;
  ASSERT_EQ(RunCommand({BinPath("tsodso-gatewayd"), "audit", "verify", "--config", gw->config_path()}, &out, &err), 0)
      << out << err;
  EXPECT_NE(out.find("audit chain intact"), std::string::npos) << out;
  Publish(*gw->ClientAs("operator"), "after verify");
  ASSERT_FALSE(ProcessesNaming(gw->data_dir()).empty()) << "no postgres process names the data dir";

  gw->Kill9();
  const auto killed = Clock::now();
  std::vector<std::string> left = ProcessesNaming(gw->data_dir());
  while (!left.empty() && Clock::now() - killed < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = ProcessesNaming(gw->data_dir());
  }
  const auto gone_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed).count();
  ASSERT_TRUE(left.empty()) << "still running 10 s after kill -9 of the daemon:\n" << ::testing::PrintToString(left);
  std::printf("[ measured ] private cluster gone %lld ms after kill -9 of the daemon\n",
              static_cast<long long>(gone_ms));
  RecordProperty("cluster_gone_ms", static_cast<int>(gone_ms));
  EXPECT_FALSE(std::filesystem::exists(PidFile(*gw))) << "the postmaster did not shut down cleanly";

  // The shutdown was clean: the restart needs no recovery and finds both.
  ASSERT_TRUE(gw->Start().ok()) << gw->Log();
  ExpectNotices(*gw, {"before kill", "after verify"});
  EXPECT_EQ(ServerLog(*gw).find("not properly shut down"), std::string::npos) << ServerLog(*gw);
  EXPECT_EQ(gw->Terminate(), 0) << gw->Log();
  EXPECT_TRUE(ProcessesNaming(gw->data_dir()).empty());
}

TEST(PrivateClusterTest, RestartSucceedsOverStaleLockFiles) {
  auto gw = PrivateGateway();
  ASSERT_NE(gw, nullptr);
  std::vector<std::string> notices = {"first"};
  Publish(*gw->ClientAs("operator"), notices.back());

  // Daemon and postmaster killed together: postmaster.pid and the socket's
  // lock file name a dead process, and the cluster needs recovery.
  const pid_t postmaster = PostmasterPid(*gw);
  ASSERT_GT(postmaster, 0);
  const std::string pid_text = ReadText(PidFile(*gw));
  const std::string socket_lock_text = ReadText(SocketLockFile(*gw));
  ASSERT_FALSE(socket_lock_text.empty());
  kill(postmaster, SIGKILL);
  gw->Kill9();
  ASSERT_TRUE(std::filesystem::exists(PidFile(*gw)));
  ASSERT_TRUE(gw->Start().ok()) << gw->Log();
  notices.push_back("after both were killed");
  Publish(*gw->ClientAs("operator"), notices.back());
  ASSERT_EQ(gw->Terminate(), 0) << gw->Log();

  // Lock files naming a live process that is no postmaster (the PID was
  // handed on), a zombie nobody has reaped yet, and a dead process.
  const pid_t unrelated = fork();
  if (unrelated == 0) {
    pause();
    _exit(0);
  }
  const pid_t zombie = fork();
  if (zombie == 0) _exit(0);
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  siginfo_t info{};
  waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT);  // exited, left unreaped
  const std::vector<std::pair<std::string, pid_t>> cases = {
      {"an unrelated live process", unrelated}, {"a zombie", zombie}, {"a dead process", dead}};
  for (const auto& [what, pid] : cases) {
    SCOPED_TRACE(what);
    std::ofstream(PidFile(*gw), std::ios::trunc) << WithPid(pid_text, pid);
    std::ofstream(SocketLockFile(*gw), std::ios::trunc) << WithPid(socket_lock_text, pid);
    auto started = gw->Start();
    ASSERT_TRUE(started.ok()) << started << gw->Log();
    notices.push_back("over a lock file naming " + what);
    Publish(*gw->ClientAs("operator"), notices.back());
    EXPECT_EQ(gw->Terminate(), 0) << gw->Log();
  }
  EXPECT_TRUE(Running(unrelated)) << "the unrelated process was signalled";
  kill(unrelated, SIGKILL);
  waitpid(unrelated, nullptr, 0);
  waitpid(zombie, nullptr, 0);

  ASSERT_TRUE(gw->Start().ok()) << gw->Log();
  ExpectNotices(*gw, notices);
}

TEST(PrivateClusterTest, ClusterLeftRunningByAnOlderDaemonIsTakenOver) {
  auto gw = PrivateGateway();
  ASSERT_NE(gw, nullptr);
  Publish(*gw->ClientAs("operator"), "kept");
  ASSERT_EQ(gw->Terminate(), 0) << gw->Log();

  // Started as daemons used to start it: detached, with pg_ctl.
  const std::string cluster = gw->data_dir() + "/postgres";
  std::string out, err;
  ASSERT_EQ(
      RunCommand({"/bin/sh", "-c",
                  "pg=$(ls -d /usr/lib/postgresql/*/bin | tail -1); runuser -u postgres -- \"$pg/pg_ctl\" start -w "
                  "-D '" +
                      cluster + "/data' -l '" + cluster +
                      "/postgresql.log' -o \"-c listen_addresses='' "
                      "-c unix_socket_directories='" +
                      cluster + "'\""},
                 &out, &err),
      0)
      << out << err;
  const pid_t detached = PostmasterPid(*gw);
  ASSERT_TRUE(Running(detached));

  ASSERT_TRUE(gw->Start().ok()) << gw->Log();
  EXPECT_FALSE(Running(detached)) << "the detached postmaster still runs";
  EXPECT_NE(PostmasterPid(*gw), detached);
  ExpectNotices(*gw, {"kept"});
  // The cluster is now the daemon's own: it goes when the daemon is killed.
  gw->Kill9();
  const auto killed = Clock::now();
  while (!ProcessesNaming(gw->data_dir()).empty() && Clock::now() - killed < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(ProcessesNaming(gw->data_dir()).empty());
}

TEST(PrivateClusterTest, RestartWaitsForTheEarlierClusterToFinishStopping) {
  auto gw = PrivateGateway();
  ASSERT_NE(gw, nullptr);
  Publish(*gw->ClientAs("operator"), "kept");

  // A session whose server process is stopped holds the old postmaster in
  // its fast shutdown after the daemon is killed.
  auto session = store::PgConnection::Open(PrivateDsn(*gw));
  ASSERT_TRUE(session.ok()) << session.status();
  auto backend_row = (*session)->Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(backend_row.ok()) << backend_row.status();
  const pid_t backend = static_cast<pid_t>(backend_row->Int64(0, 0));
  const pid_t postmaster = PostmasterPid(*gw);
  ASSERT_EQ(kill(backend, SIGSTOP), 0);
  struct Resume {
    pid_t pid;
    ~Resume() { kill(pid, SIGCONT); }
  } resume{backend};

  gw->Kill9();
  // The restart runs on this thread: the daemon dies with the thread that
  // started it (see GatewayProcess).
  bool still_stopping = false;
  Clock::time_point released;
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    still_stopping = Running(postmaster);
    released = Clock::now();
    kill(backend, SIGCONT);
  });
  const absl::Status started = gw->Start();
  release.join();
  const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - released).count();
  EXPECT_TRUE(still_stopping) << "the earlier postmaster was gone before its stalled session was released";
  ASSERT_TRUE(started.ok()) << started << gw->Log();
  std::printf("[ measured ] ready %lld ms after the earlier cluster's last session was released\n",
              static_cast<long long>(waited_ms));
  EXPECT_FALSE(Running(postmaster));
  EXPECT_NE(PostmasterPid(*gw), postmaster);
  ExpectNotices(*gw, {"kept"});
}

}  // namespace
}  // namespace tsodso::testing
