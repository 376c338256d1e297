#include "store/embedded_postgres.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_macros.h"
#include "store/pg.h"

extern char** environ;

namespace tsodso::store {
namespace fs = std::filesystem;
namespace {

constexpr int kPort = 5432;  // names the socket file only; TCP is off

std::string FindBinDir() {
  if (FILE* p = popen("pg_config --bindir 2>/dev/null", "r")) {
    char buf[512] = {0};
    std::string out = fgets(buf, sizeof buf, p) ? buf : "";
    pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (!out.empty() && fs::exists(fs::path(out) / "initdb")) return out;
  }
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(entry.path() / "bin" / "initdb")) found.push_back(entry.path() / "bin");
  }
  if (found.empty()) return "";
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::stoi(a.parent_path().filename().string()) < std::stoi(b.parent_path().filename().string());
  });
  return found.back().string();
}

// Run argv, with stdout and stderr appended to log_path; return exit code.
int Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Tail(const std::string& path, size_t max_chars = 600) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > max_chars ? all.substr(all.size() - max_chars) : all;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  return absl::StrCat("wait status ", status);
}

// The PID on the first line of a PostgreSQL lock file; 0 when there is none.
pid_t LockFilePid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Whether `pid` is a live (not exited, not a zombie) PostgreSQL process that
// works in `pgdata`: the postmaster and every server process change into
// their data directory. A PID of a lock file may since have been handed to
// an unrelated process, or be a zombie nobody has reaped yet.
bool IsServerProcessOf(pid_t pid, const std::string& pgdata) {
  if (pid <= 0) return false;
  const std::string proc = absl::StrCat("/proc/", pid);
  const std::string stat = ReadSmallFile(proc + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  if (state == 'Z' || state == 'X') return false;
  std::string comm = ReadSmallFile(proc + "/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  if (comm != "postgres" && comm != "postmaster") return false;
  std::error_code ec;
  if (fs::equivalent(proc + "/cwd", pgdata, ec)) return true;
  // The working directory of another user's process is not readable; the
  // postmaster's arguments name its data directory.
  const std::string cmdline = ReadSmallFile(proc + "/cmdline");
  size_t start = 0;
  for (size_t end = cmdline.find('\0'); end != std::string::npos; end = cmdline.find('\0', start)) {
    if (cmdline.compare(start, end - start, pgdata) == 0) return true;
    start = end + 1;
  }
  return false;
}

// Every live PostgreSQL process of `pgdata`, e.g. the server processes of a
// postmaster that was killed, which still hold its shared memory.
std::vector<pid_t> ServerProcessesOf(const std::string& pgdata) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (IsServerProcessOf(pid, pgdata)) found.push_back(pid);
  }
  return found;
}

// Remove a lock file whose PID is no live postmaster of `pgdata`: PostgreSQL
// would take a PID that is a zombie or belongs to another process for a
// running postmaster and refuse to start.
void RemoveStaleLockFile(const std::string& path, const std::string& pgdata) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  if (IsServerProcessOf(LockFilePid(path), pgdata)) return;
  fs::remove(path, ec);
}

// Everything the child needs to become the postmaster, prepared before
// fork(): in a threaded process the child may make only async-signal-safe
// calls until it execs.
struct ExecPlan {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  bool drop_privileges = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  int log_fd = -1;
  int null_fd = -1;
};

[[noreturn]] void BecomePostmaster(const ExecPlan& plan, char* const* argv, char* const* envp, pid_t parent) {
  // A session of its own: a Ctrl-C meant for the daemon in a terminal
  // reaches the daemon alone, which then stops the cluster in order.
  setsid();
  if (plan.drop_privileges) {
    if (setgroups(plan.groups.size(), plan.groups.data()) != 0 || setgid(plan.gid) != 0 || setuid(plan.uid) != 0) {
      _exit(126);
    }
  }
  // Armed after the change of user, which would clear it. SIGINT asks
  // PostgreSQL for a fast shutdown: sessions end, open transactions roll
  // back, and a checkpoint makes the next start quick.
  if (prctl(PR_SET_PDEATHSIG, SIGINT) != 0) _exit(126);
  if (getppid() != parent) _exit(126);  // the parent died before the signal was armed
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);                   // the daemon blocks SIGTERM and SIGINT in all its threads
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);  // an ignored signal stays ignored across exec
  dup2(plan.null_fd, STDIN_FILENO);
  dup2(plan.log_fd, STDOUT_FILENO);
  dup2(plan.log_fd, STDERR_FILENO);
  syscall(SYS_close_range, 3U, ~0U, 0U);  // no descriptor of the daemon's lives on in the cluster
  execve(plan.path.c_str(), argv, envp);
  _exit(127);
}

}  // namespace

// The postmaster as a child process. A thread of its own forks it and then
// waits for it: the kernel sends the parent-death signal when the thread
// that forked a child ends, and this thread ends only after the postmaster
// has, or when the whole process dies (SIGKILL included). So it does not
// matter which thread calls Start(), nor whether that thread lives on.
class ChildPostmaster {
 public:
  static absl::StatusOr<std::unique_ptr<ChildPostmaster>> Spawn(ExecPlan plan) {
    std::unique_ptr<ChildPostmaster> child(new ChildPostmaster(std::move(plan)));
    child->waiter_ = std::thread([c = child.get()] { c->Run(); });
    std::unique_lock lock(child->mu_);
    child->cv_.wait(lock, [&] { return child->forked_; });
    if (child->pid_ < 0) {
      const int err = child->fork_errno_;
      lock.unlock();
      child->waiter_.join();
      return absl::InternalError(absl::StrCat("embedded PostgreSQL: cannot fork: ", std::strerror(err)));
    }
    return child;
  }

  ~ChildPostmaster() {
    (void)StopAndWait(absl::Seconds(60));
    if (waiter_.joinable()) waiter_.join();
  }

  // Ask for a fast shutdown and wait for it; after `fast_timeout` ask for an
  // immediate shutdown, and after 10 s more kill it. Return whether the fast
  // shutdown sufficed.
  bool StopAndWait(absl::Duration fast_timeout) {
    if (WaitExit(absl::ZeroDuration())) return true;
    Signal(SIGINT);
    if (WaitExit(fast_timeout)) return true;
    Signal(SIGQUIT);
    if (!WaitExit(absl::Seconds(10))) Signal(SIGKILL);
    return false;
  }

  // Send `sig` to the postmaster unless it has exited.
  void Signal(int sig) {
    std::lock_guard lock(mu_);
    if (pid_ > 0 && !exited_) kill(pid_, sig);
  }

  // Wait up to `timeout` for the postmaster to exit; return whether it has.
  bool WaitExit(absl::Duration timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return exited_ || pid_ < 0; });
  }

  // Its wait status once it has exited; nullopt while it runs or when unknown.
  std::optional<int> wait_status() {
    std::lock_guard lock(mu_);
    return exited_ ? status_ : std::nullopt;
  }

 private:
  explicit ChildPostmaster(ExecPlan plan) : plan_(std::move(plan)) {}

  void Run() {
    std::vector<char*> argv;
    for (auto& a : plan_.args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : plan_.env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) BecomePostmaster(plan_, argv.data(), envp.data(), parent);
    const int fork_errno = errno;
    {
      std::lock_guard lock(mu_);
      fork_errno_ = fork_errno;
      pid_ = pid;
      forked_ = true;
    }
    cv_.notify_all();
    if (pid < 0) return;
    siginfo_t info{};
    int rc = 0;
    do {
      rc = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
    } while (rc != 0 && errno == EINTR);
    {
      // Reaped under the lock, so that Signal() never reaches a PID the
      // kernel may already have handed to another process.
      std::lock_guard lock(mu_);
      int status = 0;
      if (rc == 0 && waitpid(pid, &status, 0) == pid) status_ = status;
      exited_ = true;
    }
    cv_.notify_all();
  }

  ExecPlan plan_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool forked_ = false;
  int fork_errno_ = 0;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::optional<int> status_;
  std::thread waiter_;
};

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgresOptions options) : options_(std::move(options)) {}

EmbeddedPostgres::~EmbeddedPostgres() {
  if (running_) (void)Stop();
}

absl::Status EmbeddedPostgres::RunTool(const std::string& tool, const std::vector<std::string>& args, bool as_owner) {
  std::vector<std::string> argv;
  if (as_owner && drop_privileges_) argv = {"runuser", "-u", options_.run_as_user, "--"};
  argv.push_back((fs::path(bin_dir_) / tool).string());
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = (fs::path(options_.cluster_dir) / "tools.log").string();
  int rc = Spawn(argv, log);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("embedded PostgreSQL: ", tool, " exited with ", rc, " (log ", log, "):\n", Tail(log)));
  }
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::Prepare() {
  bin_dir_ = options_.bin_dir.empty() ? FindBinDir() : options_.bin_dir;
  if (bin_dir_.empty() || !fs::exists(fs::path(bin_dir_) / "initdb")) {
    return absl::FailedPreconditionError(
        "embedded PostgreSQL: initdb not found; install postgresql-15 or set database.embedded.bin_dir");
  }
  const fs::path dir = fs::absolute(options_.cluster_dir);
  options_.cluster_dir = dir.string();
  pgdata_ = (dir / "data").string();
  const std::string socket_path = (dir / absl::StrCat(".s.PGSQL.", kPort)).string();
  if (socket_path.size() >= 100) {
    return absl::InvalidArgumentError(absl::StrCat("embedded PostgreSQL: socket path ", socket_path,
                                                   " is too long for a unix socket; use a shorter data_dir"));
  }
  admin_dsn_ = absl::StrCat("host=", dir.string(), " port=", kPort, " user=tsodso dbname=postgres");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("embedded PostgreSQL: cannot create ", dir.string(), ": ", ec.message()));

  drop_privileges_ = geteuid() == 0;
  if (drop_privileges_) {
    struct passwd* pw = getpwnam(options_.run_as_user.c_str());
    if (pw == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("embedded PostgreSQL: running as root, but user '",
                                                        options_.run_as_user, "' to run the cluster does not exist"));
    }
    if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("embedded PostgreSQL: cannot chown ", dir.string()));
    }
    // The owner must reach the directory through every parent.
    for (fs::path p = dir.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      struct stat st {};
      if (stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0 && st.st_uid != pw->pw_uid) {
        return absl::FailedPreconditionError(absl::StrCat("embedded PostgreSQL: user '", options_.run_as_user,
                                                          "' cannot enter ", p.string(),
                                                          "; choose a data_dir outside it or chmod o+x it"));
      }
    }
  }
  chmod(dir.c_str(), 0700);

  if (!fs::exists(fs::path(pgdata_) / "PG_VERSION")) {
    TSODSO_RETURN_IF_ERROR(RunTool(
        "initdb", {"-D", pgdata_, "-U", "tsodso", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"},
        true));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> EmbeddedPostgres::SettleEarlierPostmaster(absl::Time deadline) {
  const std::string pid_file = (fs::path(pgdata_) / "postmaster.pid").string();
  const std::string socket_lock = (fs::path(options_.cluster_dir) / absl::StrCat(".s.PGSQL.", kPort, ".lock")).string();
  bool asked_to_stop = false;
  while (true) {
    const PingResult ping = Ping(admin_dsn_);
    if (ping == PingResult::kBadDsn) {
      return absl::InvalidArgumentError(absl::StrCat("embedded PostgreSQL: cannot connect to ", options_.cluster_dir,
                                                     ": its path does not fit in a connection string"));
    }
    const pid_t postmaster = LockFilePid(pid_file);
    const bool postmaster_alive = IsServerProcessOf(postmaster, pgdata_);
    if (ping == PingResult::kAccepting) {
      if (!options_.stop_adopted) return true;
      if (!postmaster_alive) {
        return absl::FailedPreconditionError(absl::StrCat(
            "embedded PostgreSQL: a server answers on the socket in ", options_.cluster_dir, " but no postmaster of ",
            pgdata_, " runs (postmaster.pid names PID ", postmaster, "); stop that server"));
      }
      // Left running by an older process: stop it (fast shutdown) and run
      // the cluster as a child of this one.
      if (!asked_to_stop) kill(postmaster, SIGINT);
      asked_to_stop = true;
    } else if (ping == PingResult::kNoResponse && !postmaster_alive) {
      // The server processes of a postmaster that was killed end by
      // themselves once they notice, releasing its shared memory.
      const std::vector<pid_t> leftovers = ServerProcessesOf(pgdata_);
      if (leftovers.empty()) {
        RemoveStaleLockFile(pid_file, pgdata_);
        RemoveStaleLockFile(socket_lock, pgdata_);
        return false;
      }
      if (absl::Now() >= deadline) {
        return absl::UnavailableError(absl::StrCat(
            "embedded PostgreSQL: processes of an earlier server of ", pgdata_, " are still running after ",
            absl::FormatDuration(options_.start_timeout), " (PIDs ", absl::StrJoin(leftovers, ", "), ")"));
      }
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(absl::StrCat(
          "embedded PostgreSQL: an earlier postmaster of ", pgdata_, " (PID ", postmaster, ") is still ",
          ping == PingResult::kRejecting ? "starting or stopping" : "running without accepting connections", " after ",
          absl::FormatDuration(options_.start_timeout)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

absl::Status EmbeddedPostgres::Launch(absl::Time deadline) {
  const fs::path dir(options_.cluster_dir);
  const std::string log = (dir / "postgresql.log").string();
  ExecPlan plan;
  plan.path = (fs::path(bin_dir_) / "postgres").string();
  plan.args = {plan.path,
               "-D",
               pgdata_,
               "-c",
               "listen_addresses=",
               "-c",
               absl::StrCat("unix_socket_directories=", dir.string()),
               "-p",
               absl::StrCat(kPort),
               "-c",
               "fsync=on"};
  std::vector<std::pair<std::string, std::string>> overrides;
  if (drop_privileges_) {
    struct passwd* pw = getpwnam(options_.run_as_user.c_str());
    if (pw == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("embedded PostgreSQL: user '", options_.run_as_user, "' does not exist"));
    }
    plan.drop_privileges = true;
    plan.uid = pw->pw_uid;
    plan.gid = pw->pw_gid;
    int count = 32;
    plan.groups.resize(count);
    while (getgrouplist(pw->pw_name, pw->pw_gid, plan.groups.data(), &count) < 0) plan.groups.resize(count);
    plan.groups.resize(count);
    overrides = {{"HOME", pw->pw_dir}, {"USER", pw->pw_name}, {"LOGNAME", pw->pw_name}};
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (std::none_of(overrides.begin(), overrides.end(), [&](const auto& o) { return o.first == name; })) {
      plan.env.push_back(entry);
    }
  }
  for (const auto& [name, value] : overrides) plan.env.push_back(absl::StrCat(name, "=", value));

  plan.log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  plan.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  struct Closer {
    ExecPlan* plan;
    ~Closer() {
      if (plan->log_fd >= 0) close(plan->log_fd);
      if (plan->null_fd >= 0) close(plan->null_fd);
    }
  } closer{&plan};
  if (plan.log_fd < 0 || plan.null_fd < 0) {
    return absl::InternalError(absl::StrCat("embedded PostgreSQL: cannot open ", log, ": ", std::strerror(errno)));
  }
  if (drop_privileges_ && fchown(plan.log_fd, plan.uid, plan.gid) != 0) {
    return absl::InternalError(absl::StrCat("embedded PostgreSQL: cannot chown ", log));
  }

  TSODSO_ASSIGN_OR_RETURN(child_, ChildPostmaster::Spawn(plan));
  while (Ping(admin_dsn_) != PingResult::kAccepting) {
    if (child_->WaitExit(absl::Milliseconds(50))) {
      const std::optional<int> status = child_->wait_status();
      child_.reset();
      return absl::InternalError(absl::StrCat("embedded PostgreSQL: postgres ended with ",
                                              status ? DescribeWaitStatus(*status) : "an unknown status",
                                              " before accepting connections (log ", log, "):\n", Tail(log)));
    }
    if (absl::Now() >= deadline) {
      child_.reset();  // asks for a fast shutdown and waits
      return absl::UnavailableError(absl::StrCat("embedded PostgreSQL: no connection accepted within ",
                                                 absl::FormatDuration(options_.start_timeout), " (log ", log, "):\n",
                                                 Tail(log)));
    }
  }
  return absl::OkStatus();
}

absl::Status EmbeddedPostgres::CreateDatabase() {
  TSODSO_ASSIGN_OR_RETURN(auto admin, PgConnection::Open(admin_dsn_));
  TSODSO_ASSIGN_OR_RETURN(auto exists,
                          admin->Exec("SELECT 1 FROM pg_database WHERE datname = $1", {options_.database}));
  if (exists.rows() == 0) {
    // CREATE DATABASE takes no parameters; the name is ours, not a client's.
    TSODSO_RETURN_IF_ERROR(admin->ExecScript(absl::StrCat("CREATE DATABASE \"", options_.database, "\"")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EmbeddedPostgres::Start() {
  if (running_) return dsn_;
  TSODSO_RETURN_IF_ERROR(Prepare());
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  TSODSO_ASSIGN_OR_RETURN(const bool found_running, SettleEarlierPostmaster(deadline));
  if (!found_running) TSODSO_RETURN_IF_ERROR(Launch(deadline));
  running_ = true;
  adopted_ = found_running;
  TSODSO_RETURN_IF_ERROR(CreateDatabase());
  dsn_ = absl::StrCat("host=", options_.cluster_dir, " port=", kPort, " user=tsodso dbname=", options_.database);
  return dsn_;
}

absl::Status EmbeddedPostgres::Stop() {
  if (!running_) return absl::OkStatus();
  running_ = false;
  adopted_ = false;
  if (child_ == nullptr) return absl::OkStatus();  // found running, not ours to stop
  std::unique_ptr<ChildPostmaster> child = std::move(child_);
  if (!child->StopAndWait(absl::Seconds(60))) {
    return absl::DeadlineExceededError(
        "embedded PostgreSQL: no fast shutdown within 60 s; an immediate shutdown was asked for");
  }
  const std::optional<int> status = child->wait_status();
  if (status && *status != 0) {
    return absl::InternalError(absl::StrCat("embedded PostgreSQL: postgres ended with ", DescribeWaitStatus(*status),
                                            " (log ", (fs::path(options_.cluster_dir) / "postgresql.log").string(),
                                            "):\n",
                                            Tail((fs::path(options_.cluster_dir) / "postgresql.log").string())));
  }
  return absl::OkStatus();
}

}  // namespace tsodso::store
