#include "store/embedded_postgres.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/pg.h"

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

}  // namespace

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

absl::StatusOr<std::string> EmbeddedPostgres::Start() {
  bin_dir_ = options_.bin_dir.empty() ? FindBinDir() : options_.bin_dir;
  if (bin_dir_.empty() || !fs::exists(fs::path(bin_dir_) / "initdb")) {
    return absl::FailedPreconditionError(
        "embedded PostgreSQL: initdb not found; install postgresql-15 or set database.embedded.bin_dir");
  }
  const fs::path dir = fs::absolute(options_.cluster_dir);
  options_.cluster_dir = dir.string();
  const fs::path pgdata = dir / "data";
  const std::string socket_path = (dir / absl::StrCat(".s.PGSQL.", kPort)).string();
  if (socket_path.size() >= 100) {
    return absl::InvalidArgumentError(absl::StrCat("embedded PostgreSQL: socket path ", socket_path,
                                                   " is too long for a unix socket; use a shorter data_dir"));
  }
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

  if (!fs::exists(pgdata / "PG_VERSION")) {
    if (auto st = RunTool(
            "initdb",
            {"-D", pgdata.string(), "-U", "tsodso", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"},
            true);
        !st.ok()) {
      return st;
    }
  }

  const std::string log = (dir / "postgresql.log").string();
  // A cluster left running by a process that was killed is adopted.
  bool already = RunTool("pg_ctl", {"status", "-D", pgdata.string()}, true).ok();
  if (!already) {
    std::string opts = absl::StrCat("-c listen_addresses='' -c unix_socket_directories='", dir.string(), "' -p ", kPort,
                                    " -c fsync=on");
    if (auto st = RunTool("pg_ctl", {"start", "-D", pgdata.string(), "-w", "-t", "60", "-l", log, "-o", opts}, true);
        !st.ok()) {
      return absl::InternalError(absl::StrCat(st.message(), "\nserver log:\n", Tail(log)));
    }
  }
  running_ = true;
  adopted_ = already;

  const std::string admin_dsn = absl::StrCat("host=", dir.string(), " port=", kPort, " user=tsodso dbname=postgres");
  auto admin = PgConnection::Open(admin_dsn);
  if (!admin.ok()) return admin.status();
  auto exists = (*admin)->Exec("SELECT 1 FROM pg_database WHERE datname = $1", {options_.database});
  if (!exists.ok()) return exists.status();
  if (exists->rows() == 0) {
    // CREATE DATABASE takes no parameters; the name is ours, not a client's.
    if (auto st = (*admin)->ExecScript(absl::StrCat("CREATE DATABASE \"", options_.database, "\"")); !st.ok()) {
      return st;
    }
  }
  dsn_ = absl::StrCat("host=", dir.string(), " port=", kPort, " user=tsodso dbname=", options_.database);
  return dsn_;
}

absl::Status EmbeddedPostgres::Stop() {
  if (!running_) return absl::OkStatus();
  running_ = false;
  if (adopted_ && !options_.stop_adopted) return absl::OkStatus();
  return RunTool("pg_ctl", {"stop", "-D", (fs::path(options_.cluster_dir) / "data").string(), "-m", "fast", "-w"},
                 true);
}

}  // namespace tsodso::store
