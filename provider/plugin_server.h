// The plugin process lifecycle: handshake, listener, TLS, gRPC server, shutdown.
//
// ServePlugin is what `terraform-provider-database` runs when Terraform starts it:
//   1. refuses to run without Terraform's magic cookie (message on stderr, returns 1);
//   2. catches SIGINT and SIGPIPE and ignores them (Terraform stops us with StopProvider and
//      plugin.GRPCController/Shutdown; a Ctrl-C reaching the whole process group must not kill an
//      apply in flight). Handlers, not SIG_IGN, so child processes get default dispositions;
//   3. negotiates protocol 5 or 6 from PLUGIN_PROTOCOL_VERSIONS and asks `factory` for the matching
//      tfplugin5/tfplugin6 Provider service;
//   4. listens on a unix socket (PLUGIN_UNIX_SOCKET_DIR, else $TMPDIR, else /tmp) or, with
//      TPD_PLUGIN_NETWORK=tcp, on 127.0.0.1 at the first free port in [PLUGIN_MIN_PORT,
//      PLUGIN_MAX_PORT]; the socket is ours (provider/plugin_listener.h), and gRPC, started
//      without a port of its own, gets each connection as a plaintext stream;
//   5. serves mutual TLS when PLUGIN_CLIENT_CERT is set (that PEM is the only trusted client
//      certificate; our own certificate is generated per start; the listener terminates TLS),
//      plaintext otherwise;
//   6. registers the provider service, plugin.GRPCController (Shutdown), plugin.GRPCStdio
//      (StreamStdio: stays open, sends nothing) and grpc.health.v1.Health (our own: "" and "plugin"
//      SERVING); message size limits are 256 MiB both ways;
//   7. writes the handshake line as the first stdout line, flushes it, then points stdout at
//      stderr so that stray prints can never reach Terraform's handshake reader;
//   8. blocks until Shutdown is called, then stops the server (in-flight calls get at most
//      ShutdownOptions::grace) and returns 0.
//
// Debug mode (ServeOptions::debug, the `-debug` flag): no cookie check, plaintext, protocol
// ServeOptions::debug_protocol_version, prints human instructions and the TF_REATTACH_PROVIDERS
// value to stdout, and serves until SIGINT or SIGTERM (or Shutdown), then returns 0.
//
// Thread-safety: ServePlugin installs process-wide signal handlers and rewires fd 1; call it once
// per process, from the main thread. It blocks for the life of the server.
#ifndef TPD_PROVIDER_PLUGIN_SERVER_H_
#define TPD_PROVIDER_PLUGIN_SERVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/impl/service_type.h>  // grpc::Service must be complete for unique_ptr

#include "provider/handshake.h"

namespace tpd::provider {

// Creates the Provider gRPC service for a protocol major (5 or 6); nullptr when unsupported.
// Production code passes NewProviderService (provider/services.h); tests pass fakes. ServePlugin
// owns the returned service and keeps it alive until the server has stopped.
using ProviderServiceFactory = std::function<std::unique_ptr<grpc::Service>(int protocol_version)>;

struct ServeOptions {
  // --- behaviour ---

  // Debug (reattach) mode: see the top of this file. Default false.
  bool debug = false;
  // Protocol served in debug mode (there is no client to negotiate with). Default 6.
  int debug_protocol_version = 6;
  // "unix" or "tcp". Empty (default) means TPD_PLUGIN_NETWORK from the environment, else "unix".
  std::string network;
  // Source of environment variables (cookie, versions, ports, client cert, socket dir).
  // Default: the process environment.
  EnvLookup env = ProcessEnv();
  // How long in-flight RPCs may continue after Shutdown before they are cancelled. Terraform
  // SIGKILLs a plugin 2 s after calling Shutdown, so keep this well below that. Default 500 ms.
  std::chrono::milliseconds grace{500};
};

// Runs the plugin server as described above. Blocks until shutdown.
// Returns the process exit code: 0 after a requested shutdown; 1 when the cookie is missing (not in
// debug mode), the environment is invalid (bad port range, unparsable PLUGIN_CLIENT_CERT), the
// factory returns nullptr, TLS setup fails, or the listener cannot be created. Every failure is
// explained on stderr (hclog JSON line, or the plain cookie message). PLUGIN_CLIENT_CERT is checked
// for shape before the handshake line and parsed fully right after it (while Terraform connects):
// a well-formed block OpenSSL still refuses ends the process after the line was printed.
// REQUIRES: `factory` is callable. Must not be called concurrently with itself.
int ServePlugin(const ProviderServiceFactory& factory, const ServeOptions& options = {});

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_PLUGIN_SERVER_H_
