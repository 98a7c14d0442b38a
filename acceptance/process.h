// ProviderProcess: starts the built provider binary exactly the way Terraform (go-plugin) does and
// connects to it over gRPC (FACTS.md §1).
//
//  - exec of the binary with no arguments, environment = ours + TF_PLUGIN_MAGIC_COOKIE,
//    PLUGIN_PROTOCOL_VERSIONS, PLUGIN_MIN_PORT/PLUGIN_MAX_PORT and PLUGIN_CLIENT_CERT (the PEM of a
//    fresh P-521 certificate, like Terraform's AutoMTLS), appended last so they win;
//  - stdout and stderr are pipes: the FIRST stdout line must be the handshake line
//    CORE|APP|NET|ADDR|PROTO|CERT within `handshake_timeout`; everything after it is drained and
//    discarded; stderr is collected and checked line by line as hclog JSON;
//  - a gRPC channel with mutual TLS: root = the server certificate from field 6, our client
//    certificate and key, target name "localhost"; 256 MiB message limits.
//
// Thread-safety: one thread drives a ProviderProcess; the accessors marked "any thread" may be used
// concurrently (reader threads fill the buffers behind a mutex).
#ifndef TPD_ACCEPTANCE_PROCESS_H_
#define TPD_ACCEPTANCE_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/channel.h>

#include "acceptance/client_cert.h"
#include "schema/status.h"

namespace tpd::acceptance {

// go-plugin's handshake cookie for Terraform providers.
inline constexpr const char* kMagicCookieKey = "TF_PLUGIN_MAGIC_COOKIE";
inline constexpr const char* kMagicCookieValue = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

struct LaunchOptions {
  // --- behaviour ---
  // Path of the provider executable. Default: $TPD_PROVIDER_BINARY.
  std::string binary;
  // Value of PLUGIN_PROTOCOL_VERSIONS ("5,6", "6,5", "5", "6"). Terraform offers "5,6" in random order.
  std::string protocol_versions = "5,6";
  // Set TF_PLUGIN_MAGIC_COOKIE (false: the variable is removed, to test the refusal).
  bool magic_cookie = true;
  // Value of the cookie when `magic_cookie` is true.
  std::string magic_cookie_value = kMagicCookieValue;
  // AutoMTLS: generate a client certificate and pass it in PLUGIN_CLIENT_CERT (false = Terraform with
  // TF_DISABLE_PLUGIN_TLS: the variable is absent and the provider must serve plaintext).
  bool tls = true;
  // PLUGIN_MIN_PORT / PLUGIN_MAX_PORT (go-plugin's defaults).
  int min_port = 10000;
  int max_port = 25000;
  // Extra environment, appended after ours and before the plugin variables (e.g. {"TF_LOG","trace"}).
  std::vector<std::pair<std::string, std::string>> extra_env;
  // Environment variables removed from ours before launching (e.g. "TF_LOG").
  std::vector<std::string> unset_env;
  // go-plugin's StartTimeout.
  std::chrono::milliseconds handshake_timeout{60000};
  // --- performance ---
  // gRPC max send/receive message size of our channel (Terraform accepts up to 2^31-1).
  int max_message_bytes = 256 << 20;
};

// The parsed handshake line (FACTS.md §1.2).
struct Handshake {
  std::string line;        // the raw first line, without the newline
  int core_version = 0;    // field 1, always 1
  int app_version = 0;     // field 2, 5 or 6
  std::string network;     // "unix" or "tcp"
  std::string address;     // socket path or 127.0.0.1:PORT
  std::string protocol;    // "grpc"
  std::string cert_der;    // field 6 decoded (empty without TLS)
  std::string cert_pem;    // the same certificate as PEM
};

// Parses and checks a handshake line the way go-plugin's client does, against the versions we
// offered (`offered` as in PLUGIN_PROTOCOL_VERSIONS). InvalidArgument with go-plugin's wording:
// "Unrecognized remote plugin message", "incompatible core API version", "Incompatible API version",
// "unknown address type", "unsupported protocol", "illegal base64 data", certificate parse errors.
// With `require_cert` (AutoMTLS) a missing/short field 6 is an error.
Result<Handshake> ParseHandshakeLine(std::string_view line, std::string_view offered, bool require_cert);

// One problem found in the provider's stderr: the line and what is wrong with it.
struct LogLineProblem {
  std::string line;
  std::string problem;
};
// Checks one stderr line as Terraform's hclog reader would want it: a JSON object whose @level,
// @message and @timestamp are strings, @level one of trace|debug|info|warn|error, and @timestamp in
// the layout 2006-01-02T15:04:05.000000Z07:00. Returns the problem, or nullopt when the line is fine.
std::optional<std::string> CheckHclogLine(std::string_view line);

struct ExitInfo {
  bool exited = false;     // false: still running
  int exit_code = -1;      // when exited normally
  int term_signal = 0;     // when killed by a signal
};

class ProviderProcess {
 public:
  ProviderProcess(const ProviderProcess&) = delete;
  ProviderProcess& operator=(const ProviderProcess&) = delete;
  // Kills the process (SIGKILL) if it still runs, reaps it and joins the reader threads.
  ~ProviderProcess();

  // Spawn + WaitHandshake + Connect. Blocks up to options.handshake_timeout.
  // Errors: InvalidArgument for bad options (no binary); Unavailable when the process cannot start,
  // exits before the handshake ("plugin exited before we could connect", with exit code and stderr
  // tail), or times out; InvalidArgument when the handshake line is malformed.
  static Result<std::unique_ptr<ProviderProcess>> Launch(const LaunchOptions& options);
  // Only starts the process (no handshake read). Use WaitHandshake/Connect, or WaitExit for tests
  // that expect the process to refuse to run.
  static Result<std::unique_ptr<ProviderProcess>> Spawn(const LaunchOptions& options);

  // Waits for the first stdout line and parses it. Idempotent once successful.
  Status WaitHandshake();
  // Creates channel() with mutual TLS (or plaintext without TLS). REQUIRES: WaitHandshake() OK.
  Status Connect();
  // A new channel to the same server presenting `cert` instead of the launch certificate (nullptr =
  // present no client certificate). For tests that must be refused. REQUIRES: WaitHandshake() OK.
  Result<std::shared_ptr<grpc::Channel>> NewChannel(const CertAndKey* cert) const;

  // Calls plugin.GRPCController/Shutdown and waits for the exit. If the process is still running
  // 2 s after the call (Terraform's grace period) it is SIGKILLed and `killed` is set.
  struct ShutdownResult {
    Status rpc;                             // the Shutdown RPC's status (OK expected)
    std::chrono::milliseconds elapsed{0};   // call start -> process gone
    bool killed = false;                    // had to SIGKILL after 2 s
    ExitInfo exit;
  };
  ShutdownResult Shutdown();

  // Sends `sig` to the process. Internal if it is already reaped.
  Status Signal(int sig);
  // Waits up to `timeout` for the process to exit and reaps it. exited=false on timeout. Once it
  // has exited, also waits (up to 1 s more, in case a child of it holds the pipe) until its stderr
  // is read to the end, so that Stderr() holds everything it wrote.
  ExitInfo WaitExit(std::chrono::milliseconds timeout);
  // True while the process has not exited (reaps it if it has).
  bool Alive();
  void Kill();

  pid_t pid() const { return pid_; }
  const Handshake& handshake() const { return handshake_; }
  // REQUIRES: Connect() OK.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const LaunchOptions& options() const { return options_; }
  // The client certificate given in PLUGIN_CLIENT_CERT (empty without TLS).
  const CertAndKey& client_cert() const { return client_cert_; }

  // Everything the process wrote to stderr so far. Any thread.
  std::string Stderr() const;
  // Bytes written to stdout after the handshake line (drained and discarded by Terraform). Any thread.
  std::string StdoutAfterHandshake() const;
  // Problems of every complete stderr line so far (see CheckHclogLine). Any thread.
  std::vector<LogLineProblem> StderrLogProblems() const;

 private:
  explicit ProviderProcess(LaunchOptions options);
  void ReadStdout(int fd);
  void ReadStderr(int fd);
  std::string StderrTail() const;

  // Constant after Spawn.
  LaunchOptions options_;
  CertAndKey client_cert_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;

  // Owned by the driving thread.
  bool reaped_ = false;
  ExitInfo exit_;
  Handshake handshake_;
  bool have_handshake_ = false;
  std::shared_ptr<grpc::Channel> channel_;

  // Filled by the reader threads, guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::string> first_line_;
  bool stdout_eof_ = false;
  bool stderr_eof_ = false;
  std::string stdout_rest_;
  std::string stderr_;

  // Set by the destructor after the kill so the reader threads end.
  std::atomic<bool> stop_{false};
  std::thread stdout_thread_;
  std::thread stderr_thread_;
};

}  // namespace tpd::acceptance

#endif  // TPD_ACCEPTANCE_PROCESS_H_
