// The plugin's listening socket and its connections, in front of the gRPC server.
//
// We listen ourselves rather than letting gRPC do it, so that the handshake line can be printed as
// soon as the socket listens and our certificate exists. gRPC's own TLS setup (a TLS context built
// from PEM text inside BuildAndStart) took ~2-3 ms of every start, during which Terraform waits; here
// the TLS context is made after the line is printed, while Terraform connects (connections wait in
// the socket's backlog meanwhile).
//
// Every accepted connection becomes a plaintext byte stream handed to gRPC (`HandOff`, in practice
// grpc::AddInsecureChannelFromFd):
//   - without TLS, the accepted socket itself;
//   - with TLS, one end of a socketpair: a thread per connection completes the TLS handshake
//     (NewServerTlsContext's rules: the client must present Terraform's certificate, ALPN h2),
//     then relays bytes between the TLS connection and the socketpair in both directions until
//     either side closes. A client that fails the handshake is logged and dropped; gRPC never sees
//     it.
//
// Thread-safety: the constructor starts the accepting thread; Stop (also run by the destructor)
// may be called from any one thread. HandOff runs on the accepting thread (plaintext) or on a
// connection's thread (TLS), possibly concurrently for different connections.
#ifndef TPD_PROVIDER_PLUGIN_LISTENER_H_
#define TPD_PROVIDER_PLUGIN_LISTENER_H_

#include <openssl/types.h>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "provider/handshake.h"
#include "schema/status.h"

namespace tpd::provider {

// A listening socket and the address to print in the handshake line.
struct ListeningSocket {
  int fd = -1;           // owned by whoever holds it; close-on-exec, blocking
  std::string address;   // unix: the socket path; tcp: "127.0.0.1:<port>"
};

// Binds and listens on a fresh unix socket at `path` (which must not exist). Unavailable on error.
Result<ListeningSocket> ListenUnix(const std::string& path);

// Binds and listens on 127.0.0.1 at the first port of `range` that is free. Unavailable when
// none is.
Result<ListeningSocket> ListenTcp(const PortRange& range);

// Takes ownership of a connected, non-blocking plaintext stream.
using HandOff = std::function<void(int fd)>;

class PluginListener {
 public:
  // Takes ownership of `listen_fd`. `tls` null: plaintext. Otherwise every connection is a TLS
  // server connection made from `tls` (NewServerTlsContext).
  PluginListener(int listen_fd, std::shared_ptr<SSL_CTX> tls, HandOff hand_off);
  ~PluginListener();
  PluginListener(const PluginListener&) = delete;
  PluginListener& operator=(const PluginListener&) = delete;

  // Stops accepting new connections and closes the listening socket; relays go on. Idempotent.
  void StopAccepting();

  // StopAccepting, then ends every relay (closing both of its sockets) and joins all threads.
  // Idempotent.
  void Stop();

 private:
  struct RelayThread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  void AcceptLoop();
  void Relay(int client_fd);

  const int listen_fd_;
  const int accept_stop_fd_;  // eventfd; readable once StopAccepting starts
  const int stop_fd_;         // eventfd; readable once Stop starts
  const std::shared_ptr<SSL_CTX> tls_;
  const HandOff hand_off_;
  std::thread acceptor_;
  std::mutex mu_;
  std::list<RelayThread> relays_;  // guarded by mu_; finished ones are joined by the acceptor
  bool accepting_ = true;          // guarded by mu_
  bool stopped_ = false;           // guarded by mu_
};

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_PLUGIN_LISTENER_H_
