#include "provider/plugin_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <grpcpp/server_posix.h>

#include "proto/health.grpc.pb.h"
#include "proto/plugin.grpc.pb.h"
#include "provider/log.h"
#include "provider/plugin_listener.h"
#include "provider/tls.h"

namespace tpd::provider {
namespace {

constexpr int kMaxMessageBytes = 256 << 20;
// sockaddr_un.sun_path is 108 bytes on Linux and 104 on macOS; stay below both.
constexpr size_t kMaxSocketPath = 100;

// One-shot "shut down now" flag shared by the RPC handlers, the signal watcher and ServePlugin.
class ShutdownLatch {
 public:
  void Trigger() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      triggered_ = true;
    }
    cv_.notify_all();
  }
  bool triggered() {
    std::lock_guard<std::mutex> lock(mu_);
    return triggered_;
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return triggered_; });
  }
  // True when triggered within `d`.
  bool WaitFor(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [&] { return triggered_; });
  }
  // Blocks a streaming handler until shutdown or until its client goes away (polled, because a
  // cancelled call does not wake the latch).
  void WaitUntilTriggeredOrCancelled(grpc::ServerContext* ctx) {
    while (!ctx->IsCancelled()) {
      if (WaitFor(std::chrono::milliseconds(50))) return;
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool triggered_ = false;  // guarded by mu_
};

class ControllerService final : public plugin::GRPCController::Service {
 public:
  explicit ControllerService(ShutdownLatch* latch) : latch_(latch) {}
  // Replies first; ServePlugin's main thread stops the server once the latch fires (a handler
  // cannot stop the server itself: Shutdown waits for running handlers).
  grpc::Status Shutdown(grpc::ServerContext*, const plugin::Empty*, plugin::Empty*) override {
    log::Debug("plugin.GRPCController/Shutdown received");
    latch_->Trigger();
    return grpc::Status::OK;
  }

 private:
  ShutdownLatch* const latch_;
};

class StdioService final : public plugin::GRPCStdio::Service {
 public:
  explicit StdioService(ShutdownLatch* latch) : latch_(latch) {}
  // Our logs go to stderr directly, so the stream carries nothing; it stays open until shutdown
  // or until the client goes away.
  grpc::Status StreamStdio(grpc::ServerContext* ctx, const google::protobuf::Empty*,
                           grpc::ServerWriter<plugin::StdioData>*) override {
    latch_->WaitUntilTriggeredOrCancelled(ctx);
    return grpc::Status::OK;
  }

 private:
  ShutdownLatch* const latch_;
};

// grpc.health.v1.Health: "" (the server) and "plugin" (what go-plugin asks for) are SERVING for the
// life of the server; any other name is unknown.
class HealthService final : public grpc::health::v1::Health::Service {
 public:
  explicit HealthService(ShutdownLatch* latch) : latch_(latch) {}
  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::health::v1::HealthCheckResponse* resp) override {
    if (!Known(req->service())) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
    resp->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
  // One message with the status, then the stream stays open (the status never changes while the
  // server runs) until the client cancels or the server shuts down.
  grpc::Status Watch(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override {
    grpc::health::v1::HealthCheckResponse resp;
    resp.set_status(Known(req->service()) ? grpc::health::v1::HealthCheckResponse::SERVING
                                          : grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN);
    if (writer->Write(resp)) latch_->WaitUntilTriggeredOrCancelled(ctx);
    return grpc::Status::OK;
  }

 private:
  static bool Known(const std::string& service) { return service.empty() || service == "plugin"; }
  ShutdownLatch* const latch_;
};

// ---- signals ---------------------------------------------------------------------------------

std::atomic<int> g_signal_pipe_write{-1};
std::atomic<bool> g_exit_on_signal{false};
std::atomic<int> g_ignored_interrupts{0};

extern "C" void OnSignal(int sig) {
  // Async-signal-safe only: atomics and write(2).
  if (sig == SIGPIPE) return;
  if (g_exit_on_signal.load()) {
    int fd = g_signal_pipe_write.load();
    if (fd >= 0) {
      char c = static_cast<char>(sig);
      ssize_t ignored = write(fd, &c, 1);
      (void)ignored;
    }
    return;
  }
  g_ignored_interrupts.fetch_add(1);
}

void InstallHandler(int sig) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(sig, &sa, nullptr);
}

// Reads the self-pipe written by OnSignal; a byte 0 means "stop watching".
class SignalWatcher {
 public:
  SignalWatcher(bool exit_on_signal, ShutdownLatch* latch) {
    if (pipe2(fds_, O_CLOEXEC) != 0) {
      fds_[0] = fds_[1] = -1;
    } else {
      g_signal_pipe_write.store(fds_[1]);
    }
    g_exit_on_signal.store(exit_on_signal);
    InstallHandler(SIGINT);
    InstallHandler(SIGPIPE);
    if (exit_on_signal) InstallHandler(SIGTERM);
    if (fds_[0] >= 0) {
      thread_ = std::thread([this, latch] {
        char c = 0;
        while (true) {
          ssize_t n = read(fds_[0], &c, 1);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0 || c == 0) return;
          log::Info("signal received, shutting down", {{"signal", static_cast<int>(c)}});
          latch->Trigger();
        }
      });
    }
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  ~SignalWatcher() {
    g_exit_on_signal.store(false);
    g_signal_pipe_write.store(-1);
    if (fds_[1] >= 0) {
      char stop = 0;
      ssize_t ignored = write(fds_[1], &stop, 1);
      (void)ignored;
    }
    if (thread_.joinable()) thread_.join();
    if (fds_[0] >= 0) close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }

 private:
  int fds_[2] = {-1, -1};
  std::thread thread_;
};

// ---- listener --------------------------------------------------------------------------------

// Picks an unused socket path: create a unique file, remove it, bind there (as go-plugin does).
Result<std::string> ReserveSocketPath(const UnixSocketSettings& settings) {
  std::string dir = settings.dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.size() + std::strlen("/plugin-XXXXXX") > kMaxSocketPath) {
    log::Warn("unix socket directory path too long, using /tmp", {{"dir", dir}});
    dir = "/tmp";
  }
  std::string tmpl = dir + "/plugin-XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    return Status::Unavailable("cannot create a unix socket in " + dir + ": " + std::strerror(errno));
  }
  close(fd);
  unlink(tmpl.c_str());
  return tmpl;
}

Status ApplySocketGroup(const std::string& path, const std::string& group) {
  if (group.empty()) return Status::Ok();
  gid_t gid;
  char* end = nullptr;
  long numeric = std::strtol(group.c_str(), &end, 10);
  if (end != group.c_str() && *end == '\0') {
    gid = static_cast<gid_t>(numeric);
  } else {
    struct group* g = getgrnam(group.c_str());
    if (g == nullptr) return Status::InvalidArgument("PLUGIN_UNIX_SOCKET_GROUP: unknown group " + group);
    gid = g->gr_gid;
  }
  if (chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
    return Status::Unavailable("chown of plugin socket failed: " + std::string(std::strerror(errno)));
  }
  if (chmod(path.c_str(), 0660) != 0) {
    return Status::Unavailable("chmod of plugin socket failed: " + std::string(std::strerror(errno)));
  }
  return Status::Ok();
}

int Fail(const Status& s) {
  log::Error("plugin server failed to start", {{"error", s.message()}});
  return 1;
}

void WriteAll(int fd, const std::string& text) {
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

int ServePlugin(const ProviderServiceFactory& factory, const ServeOptions& options) {
  const EnvLookup& env = options.env;
  if (!options.debug && !MagicCookieMatches(env)) {
    std::string msg = MagicCookieMissingMessage();
    WriteAll(STDERR_FILENO, msg);
    return 1;
  }

  ShutdownLatch latch;
  SignalWatcher signals(/*exit_on_signal=*/options.debug, &latch);

  // Mutual TLS iff Terraform sent its certificate (never in debug mode). Our key and certificate
  // are made on a second thread while this one sets up the listener and gRPC; the handshake line
  // waits only for the certificate. The TLS context (which parses Terraform's certificate) is made
  // after the line is printed, while Terraform connects (plugin_listener.h). One thread for
  // OpenSSL until then: two threads initializing OpenSSL at once contend on its internal locks
  // and take longer than one.
  std::optional<std::string> client_cert = options.debug ? std::nullopt : env("PLUGIN_CLIENT_CERT");
  const bool tls = client_cert && !client_cert->empty();
  std::future<Result<SelfSignedCert>> tls_identity;
  if (tls) {
    if (Status s = CheckCertificatePem(*client_cert); !s.ok()) return Fail(s.WithContext("PLUGIN_CLIENT_CERT"));
    InitTransportOpenSsl();
    tls_identity = std::async(std::launch::async, [] {
      CertOptions cert;
      cert.pem = false;
      return GenerateSelfSignedCert(cert);
    });
  }

  int version = options.debug ? options.debug_protocol_version
                              : NegotiateProtocolVersion(env("PLUGIN_PROTOCOL_VERSIONS").value_or(""));
  std::unique_ptr<grpc::Service> provider_service = factory(version);
  if (!provider_service) {
    return Fail(Status::InvalidArgument("no provider service for protocol version " + std::to_string(version)));
  }

  std::string network = options.network;
  if (network.empty()) network = env("TPD_PLUGIN_NETWORK").value_or("");
  if (network.empty()) network = "unix";
  if (network != "unix" && network != "tcp") {
    return Fail(Status::InvalidArgument("TPD_PLUGIN_NETWORK must be unix or tcp, got " + network));
  }

  Result<ListeningSocket> listening = Status::Unavailable("no listener");
  if (network == "unix") {
    UnixSocketSettings settings = UnixSocketSettingsFromEnv(env);
    Result<std::string> path = ReserveSocketPath(settings);
    if (!path.ok()) return Fail(path.status());
    listening = ListenUnix(*path);
    if (!listening.ok()) return Fail(listening.status());
    if (Status s = ApplySocketGroup(listening->address, settings.group); !s.ok()) {
      close(listening->fd);
      unlink(listening->address.c_str());
      return Fail(s);
    }
  } else {
    Result<PortRange> range = PortRangeFromEnv(env);
    if (!range.ok()) return Fail(range.status());
    listening = ListenTcp(*range);
    if (!listening.ok()) return Fail(listening.status());
  }
  const std::string address = listening->address;  // as printed in the handshake
  auto close_listener = [&] {
    close(listening->fd);
    if (network == "unix") unlink(address.c_str());
  };

  ControllerService controller(&latch);
  StdioService stdio(&latch);
  HealthService health(&latch);
  grpc::ServerBuilder builder;  // initializes gRPC (while the TLS thread works)
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(provider_service.get());
  builder.RegisterService(&controller);
  builder.RegisterService(&stdio);
  builder.RegisterService(&health);
  // No listening port: connections come from our listener (AddInsecureChannelFromFd).
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    close_listener();
    return Fail(Status::Unavailable("gRPC server could not start"));
  }
  auto stop_server = [&] {
    server->Shutdown(std::chrono::system_clock::now() + options.grace);
    server->Wait();
  };

  std::optional<SelfSignedCert> own;
  std::string cert_field;
  if (tls) {
    Result<SelfSignedCert> made = tls_identity.get();
    if (!made.ok()) {
      stop_server();
      close_listener();
      return Fail(made.status());
    }
    own = std::move(*made);
    cert_field = CertHandshakeField(own->cert_der);
  }

  if (options.debug) {
    std::string reattach = FormatReattachJson(kProviderAddress, version, static_cast<int>(getpid()), network, address);
    std::string text =
        "terraform-provider-database is running in debug mode (protocol " + std::to_string(version) +
        ", plaintext, " + network + " " + address + ").\n"
        "Run Terraform in another shell with this variable set so that it uses this process\n"
        "instead of starting its own:\n\n"
        "\tTF_REATTACH_PROVIDERS='" + reattach + "'\n\n"
        "The configuration must use source = \"" + std::string(kProviderAddress) + "\".\n"
        "Stop with Ctrl-C.\n";
    std::fflush(stdout);
    WriteAll(STDOUT_FILENO, text);
    log::Info("debug server started", {{"network", network}, {"address", address}, {"protocol", version}});
  } else {
    HandshakeLine line;
    line.app_version = version;
    line.network = network;
    line.address = address;
    line.cert_base64 = cert_field;
    std::fflush(stdout);
    WriteAll(STDOUT_FILENO, FormatHandshakeLine(line) + "\n");
    // From here on fd 1 is stderr: nothing can corrupt the stream Terraform read the handshake from.
    dup2(STDERR_FILENO, STDOUT_FILENO);
    log::Debug("plugin server started",
               {{"network", network}, {"address", address}, {"protocol", version}, {"tls", !cert_field.empty()}});
  }

  std::shared_ptr<SSL_CTX> tls_context;
  if (tls) {
    Result<std::shared_ptr<SSL_CTX>> made = NewServerTlsContext(*own, *client_cert);
    if (!made.ok()) {
      stop_server();
      close_listener();
      return Fail(made.status().WithContext("PLUGIN_CLIENT_CERT"));
    }
    tls_context = *made;
  }
  // Connections reach gRPC only while it serves: a TLS handshake that completes during shutdown
  // is dropped rather than handed to a server that is stopping.
  std::mutex serving_mu;
  bool serving = true;
  PluginListener listener(listening->fd, tls_context, [&](int fd) {
    std::lock_guard<std::mutex> lock(serving_mu);
    if (!serving) {
      close(fd);
      return;
    }
    grpc::AddInsecureChannelFromFd(server.get(), fd);
  });

  latch.Wait();
  listener.StopAccepting();
  {
    std::lock_guard<std::mutex> lock(serving_mu);
    serving = false;
  }
  stop_server();  // in-flight calls get options.grace; the relays carry gRPC's goodbye to clients
  listener.Stop();
  if (network == "unix") unlink(address.c_str());
  if (int n = g_ignored_interrupts.load(); n > 0) log::Debug("interrupts ignored", {{"count", n}});
  server.reset();
  log::Debug("plugin server stopped");
  return 0;
}

}  // namespace tpd::provider
