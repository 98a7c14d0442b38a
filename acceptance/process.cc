#include "acceptance/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <set>
#include <sstream>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <nlohmann/json.hpp>

#include "proto/plugin.grpc.pb.h"

extern char** environ;

namespace tpd::acceptance {
namespace {

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

ExitInfo DecodeWaitStatus(int status) {
  ExitInfo info;
  info.exited = true;
  if (WIFEXITED(status)) info.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) info.term_signal = WTERMSIG(status);
  return info;
}

// Reads `fd` until EOF, handing each chunk to `sink`. Polls so that a stop request is noticed even if
// a grandchild keeps the pipe open.
template <typename Sink>
void PumpFd(int fd, const std::atomic<bool>& stop, Sink sink) {
  char buf[65536];
  while (!stop.load()) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sink(std::string_view(buf, static_cast<size_t>(n)));
  }
  ::close(fd);
}

}  // namespace

Result<Handshake> ParseHandshakeLine(std::string_view raw, std::string_view offered, bool require_cert) {
  Handshake hs;
  hs.line = std::string(raw);
  std::string line = Trim(raw);
  std::vector<std::string> parts = Split(line, '|');
  if (parts.size() < 4) {
    return Status::InvalidArgument("Unrecognized remote plugin message: " + line +
                                   "\nThis usually means the plugin was not compiled for this architecture, the "
                                   "plugin is missing dynamic-link libraries necessary to run, the plugin is not "
                                   "executable by this process due to file permissions, or the plugin failed to "
                                   "negotiate the initial go-plugin protocol handshake");
  }
  if (parts.size() > 6 && !(parts.size() == 7 && parts[6] == "true")) {
    return Status::InvalidArgument("handshake line has " + std::to_string(parts.size()) + " fields: " + line);
  }
  auto parse_int = [](const std::string& s) -> std::optional<int> {
    if (s.empty() || s.size() > 9) return std::nullopt;
    for (char c : s) if (c < '0' || c > '9') return std::nullopt;
    return std::atoi(s.c_str());
  };
  auto core = parse_int(parts[0]);
  if (!core) return Status::InvalidArgument("Error parsing core protocol version: " + parts[0]);
  if (*core != 1) {
    return Status::InvalidArgument("Incompatible core API version with plugin. Plugin version: " + parts[0] +
                                   ", Core version: 1");
  }
  hs.core_version = *core;
  auto app = parse_int(parts[1]);
  if (!app) return Status::InvalidArgument("Error parsing protocol version: " + parts[1]);
  bool offered_app = false;
  for (const std::string& v : Split(offered, ',')) {
    if (Trim(v) == parts[1]) offered_app = true;
  }
  if (!offered_app || (*app != 5 && *app != 6)) {
    return Status::InvalidArgument("Incompatible API version with plugin. Plugin version: " + parts[1] +
                                   ", Client versions: [" + std::string(offered) + "]");
  }
  hs.app_version = *app;
  hs.network = parts[2];
  hs.address = parts[3];
  if (hs.network != "unix" && hs.network != "tcp") {
    return Status::InvalidArgument("Unknown address type: " + hs.network);
  }
  if (hs.network == "unix" && (hs.address.empty() || hs.address[0] != '/')) {
    return Status::InvalidArgument("unix socket address is not absolute: " + hs.address);
  }
  if (hs.network == "tcp") {
    static const std::regex kTcp(R"(^127\.0\.0\.1:[0-9]{1,5}$)");
    if (!std::regex_match(hs.address, kTcp)) return Status::InvalidArgument("bad tcp address: " + hs.address);
  }
  if (parts.size() < 5) return Status::InvalidArgument("handshake line has no protocol field: " + line);
  hs.protocol = parts[4];
  if (hs.protocol != "grpc") {
    return Status::InvalidArgument("Unsupported plugin protocol \"" + hs.protocol + "\". Supported: [grpc]");
  }
  std::string cert_field = parts.size() >= 6 ? parts[5] : "";
  // go-plugin only looks at field 6 when it is longer than 50 characters.
  if (cert_field.size() > 50) {
    TPD_ASSIGN_OR_RETURN(hs.cert_der, DecodeRawStdBase64(cert_field));
    auto pem = DerCertToPem(hs.cert_der);
    if (!pem.ok()) return Status::InvalidArgument("error parsing server certificate: " + pem.status().message());
    hs.cert_pem = std::move(pem).value();
  } else if (require_cert) {
    return Status::InvalidArgument("PLUGIN_CLIENT_CERT was set but the handshake line carries no server "
                                   "certificate (field 6): " + line);
  }
  return hs;
}

std::optional<std::string> CheckHclogLine(std::string_view line) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const std::exception& e) {
    return std::string("not JSON: ") + e.what();
  }
  if (!j.is_object()) return "not a JSON object";
  for (const char* key : {"@level", "@message", "@timestamp"}) {
    if (!j.contains(key)) return std::string("missing ") + key;
    if (!j[key].is_string()) return std::string(key) + " is not a string";
  }
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  std::string level = j["@level"].get<std::string>();
  for (char& c : level) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!kLevels.count(level)) return "unknown @level " + level;
  static const std::regex kTs(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$)");
  if (!std::regex_match(j["@timestamp"].get<std::string>(), kTs)) {
    return "@timestamp not in layout 2006-01-02T15:04:05.000000Z07:00: " + j["@timestamp"].get<std::string>();
  }
  return std::nullopt;
}

ProviderProcess::ProviderProcess(LaunchOptions options) : options_(std::move(options)) {}

ProviderProcess::~ProviderProcess() {
  channel_.reset();
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    WaitExit(std::chrono::milliseconds(5000));
  }
  stop_.store(true);
  if (stdout_thread_.joinable()) stdout_thread_.join();
  if (stderr_thread_.joinable()) stderr_thread_.join();
}

Result<std::unique_ptr<ProviderProcess>> ProviderProcess::Spawn(const LaunchOptions& in) {
  LaunchOptions options = in;
  if (options.binary.empty()) {
    const char* env = std::getenv("TPD_PROVIDER_BINARY");
    if (env != nullptr) options.binary = env;
  }
  if (options.binary.empty()) return Status::InvalidArgument("no provider binary: set TPD_PROVIDER_BINARY");
  if (::access(options.binary.c_str(), X_OK) != 0) {
    return Status::InvalidArgument("provider binary is not executable: " + options.binary);
  }
  std::unique_ptr<ProviderProcess> p(new ProviderProcess(options));
  if (options.tls) {
    TPD_ASSIGN_OR_RETURN(p->client_cert_, GenerateTerraformClientCert());
  }

  // Environment: ours minus the names we set or were asked to drop, then extras, then the plugin
  // variables last (Terraform appends them, so they win).
  std::vector<std::pair<std::string, std::string>> ours;
  ours.insert(ours.end(), options.extra_env.begin(), options.extra_env.end());
  if (options.magic_cookie) ours.emplace_back(kMagicCookieKey, options.magic_cookie_value);
  ours.emplace_back("PLUGIN_PROTOCOL_VERSIONS", options.protocol_versions);
  ours.emplace_back("PLUGIN_MIN_PORT", std::to_string(options.min_port));
  ours.emplace_back("PLUGIN_MAX_PORT", std::to_string(options.max_port));
  if (options.tls) ours.emplace_back("PLUGIN_CLIENT_CERT", p->client_cert_.cert_pem);
  std::set<std::string> drop(options.unset_env.begin(), options.unset_env.end());
  drop.insert(kMagicCookieKey);
  drop.insert("PLUGIN_CLIENT_CERT");
  for (const auto& kv : ours) drop.insert(kv.first);
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string name(entry.substr(0, entry.find('=')));
    if (!drop.count(name)) env_strings.emplace_back(entry);
  }
  for (const auto& kv : ours) env_strings.push_back(kv.first + "=" + kv.second);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string argv0 = options.binary;
  char* argv[] = {argv0.data(), nullptr};

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGCHLD);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, options.binary.c_str(), &fa, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return Status::Unavailable("cannot start " + options.binary + ": " + std::strerror(rc));
  }
  p->pid_ = pid;
  p->started_ = std::chrono::steady_clock::now();
  ProviderProcess* raw = p.get();
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  p->stdout_thread_ = std::thread([raw, out_fd] { raw->ReadStdout(out_fd); });
  p->stderr_thread_ = std::thread([raw, err_fd] { raw->ReadStderr(err_fd); });
  return p;
}

void ProviderProcess::ReadStdout(int fd) {
  std::string pending;
  PumpFd(fd, stop_, [&](std::string_view chunk) {
    std::lock_guard<std::mutex> lock(mu_);
    if (first_line_) {
      stdout_rest_.append(chunk);
      return;
    }
    pending.append(chunk);
    size_t nl = pending.find('\n');
    if (nl != std::string::npos) {
      first_line_ = pending.substr(0, nl);
      stdout_rest_ = pending.substr(nl + 1);
      cv_.notify_all();
    }
  });
  std::lock_guard<std::mutex> lock(mu_);
  stdout_eof_ = true;
  cv_.notify_all();
}

void ProviderProcess::ReadStderr(int fd) {
  PumpFd(fd, stop_, [&](std::string_view chunk) {
    std::lock_guard<std::mutex> lock(mu_);
    stderr_.append(chunk);
  });
  std::lock_guard<std::mutex> lock(mu_);
  stderr_eof_ = true;
  cv_.notify_all();
}

std::string ProviderProcess::Stderr() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stderr_;
}

std::string ProviderProcess::StdoutAfterHandshake() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stdout_rest_;
}

std::string ProviderProcess::StderrTail() const {
  std::string s = Stderr();
  if (s.size() > 4000) s = "..." + s.substr(s.size() - 4000);
  return s;
}

std::vector<LogLineProblem> ProviderProcess::StderrLogProblems() const {
  std::vector<LogLineProblem> out;
  std::string all = Stderr();
  size_t start = 0;
  while (true) {
    size_t nl = all.find('\n', start);
    if (nl == std::string::npos) break;  // incomplete last line: not judged yet
    std::string line = all.substr(start, nl - start);
    start = nl + 1;
    if (auto problem = CheckHclogLine(line)) out.push_back({line, *problem});
  }
  return out;
}

Status ProviderProcess::WaitHandshake() {
  if (have_handshake_) return Status::Ok();
  std::optional<std::string> line;
  {
    std::unique_lock<std::mutex> lock(mu_);
    bool got = cv_.wait_until(lock, started_ + options_.handshake_timeout,
                              [&] { return first_line_.has_value() || stdout_eof_; });
    if (first_line_) line = first_line_;
    if (!got && !line) {
      lock.unlock();
      return Status::Unavailable("timeout while waiting for plugin to start (no handshake line within " +
                                 std::to_string(options_.handshake_timeout.count()) + " ms); stderr:\n" +
                                 StderrTail());
    }
  }
  if (!line) {
    ExitInfo ei = WaitExit(std::chrono::milliseconds(2000));
    return Status::Unavailable("plugin exited before we could connect (exit code " + std::to_string(ei.exit_code) +
                               ", signal " + std::to_string(ei.term_signal) + "); stderr:\n" + StderrTail());
  }
  TPD_ASSIGN_OR_RETURN(handshake_, ParseHandshakeLine(*line, options_.protocol_versions, options_.tls));
  have_handshake_ = true;
  return Status::Ok();
}

Result<std::shared_ptr<grpc::Channel>> ProviderProcess::NewChannel(const CertAndKey* cert) const {
  if (!have_handshake_) return Status::FailedPrecondition("no handshake yet");
  std::string target = handshake_.network == "unix" ? "unix:" + handshake_.address : handshake_.address;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options_.max_message_bytes);
  args.SetMaxSendMessageSize(options_.max_message_bytes);
  // Each channel gets its own subchannel/connection (the refusal tests must not reuse a good one).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options_.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = handshake_.cert_pem;
    if (cert != nullptr) {
      ssl.pem_private_key = cert->key_pem;
      ssl.pem_cert_chain = cert->cert_pem;
    }
    creds = grpc::SslCredentials(ssl);
    args.SetSslTargetNameOverride("localhost");
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  return grpc::CreateCustomChannel(target, creds, args);
}

Status ProviderProcess::Connect() {
  TPD_RETURN_IF_ERROR(WaitHandshake());
  TPD_ASSIGN_OR_RETURN(channel_, NewChannel(options_.tls ? &client_cert_ : nullptr));
  if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    return Status::Unavailable("cannot connect to the provider at " + handshake_.address + " (TLS " +
                               (options_.tls ? "on" : "off") + "); stderr:\n" + StderrTail());
  }
  return Status::Ok();
}

Result<std::unique_ptr<ProviderProcess>> ProviderProcess::Launch(const LaunchOptions& options) {
  TPD_ASSIGN_OR_RETURN(std::unique_ptr<ProviderProcess> p, Spawn(options));
  TPD_RETURN_IF_ERROR(p->WaitHandshake());
  TPD_RETURN_IF_ERROR(p->Connect());
  return p;
}

ProviderProcess::ShutdownResult ProviderProcess::Shutdown() {
  ShutdownResult result;
  auto start = std::chrono::steady_clock::now();
  if (channel_) {
    auto stub = plugin::GRPCController::NewStub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    plugin::Empty req, resp;
    grpc::Status s = stub->Shutdown(&ctx, req, &resp);
    if (!s.ok()) {
      result.rpc = Status::Unavailable("Shutdown RPC failed: " + s.error_message() + " (code " +
                                       std::to_string(static_cast<int>(s.error_code())) + ")");
    }
  } else {
    result.rpc = Status::FailedPrecondition("not connected");
  }
  // Terraform closes its connection, then gives the process 2 s.
  channel_.reset();
  result.exit = WaitExit(std::chrono::milliseconds(2000));
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (!result.exit.exited) {
    result.killed = true;
    Kill();
    result.exit = WaitExit(std::chrono::milliseconds(5000));
  }
  return result;
}

Status ProviderProcess::Signal(int sig) {
  if (reaped_ || pid_ <= 0) return Status::Internal("process already exited");
  if (::kill(pid_, sig) != 0) return Status::Internal(std::string("kill: ") + std::strerror(errno));
  return Status::Ok();
}

ExitInfo ProviderProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (reaped_ || pid_ <= 0) return exit_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      exit_ = DecodeWaitStatus(status);
      // The reader may still hold the last bytes it wrote before exiting.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stderr_eof_; });
      return exit_;
    }
    if (r < 0 && errno != EINTR) {
      reaped_ = true;
      exit_.exited = true;
      return exit_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return ExitInfo{};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool ProviderProcess::Alive() { return !WaitExit(std::chrono::milliseconds(0)).exited; }

void ProviderProcess::Kill() {
  if (!reaped_ && pid_ > 0) ::kill(pid_, SIGKILL);
}

}  // namespace tpd::acceptance
