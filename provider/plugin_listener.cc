#include "provider/plugin_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "provider/log.h"

namespace tpd::provider {
namespace {

// A client must finish its TLS handshake within this time (Terraform does it at once).
constexpr std::chrono::seconds kHandshakeTimeout{10};
// Bytes a relay holds per direction before it stops reading from that side (backpressure).
constexpr size_t kMaxBuffered = 1 << 20;
constexpr size_t kChunk = 16 * 1024;  // one TLS record

Status ErrnoStatus(const std::string& what) { return Status::Unavailable(what + ": " + std::strerror(errno)); }

void SetNoDelayIfTcp(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && addr.ss_family == AF_INET) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
}

// OpenSSL's error queue of this thread as text (codes only: see InitTransportOpenSsl).
std::string DrainOpenSslErrors() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text;
}

// A byte queue drained from the front.
struct Pending {
  std::string bytes;
  size_t off = 0;
  size_t size() const { return bytes.size() - off; }
  bool empty() const { return size() == 0; }
  const char* data() const { return bytes.data() + off; }
  void Consume(size_t n) {
    off += n;
    if (off == bytes.size()) {
      bytes.clear();
      off = 0;
    }
  }
};

}  // namespace

Result<ListeningSocket> ListenUnix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return Status::Unavailable("unix socket path too long: " + path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket");
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Status s = ErrnoStatus("bind " + path);
    close(fd);
    return s;
  }
  if (listen(fd, SOMAXCONN) != 0) {
    Status s = ErrnoStatus("listen " + path);
    close(fd);
    unlink(path.c_str());
    return s;
  }
  return ListeningSocket{fd, path};
}

Result<ListeningSocket> ListenTcp(const PortRange& range) {
  for (int port = range.min; port <= range.max; ++port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ErrnoStatus("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && listen(fd, SOMAXCONN) == 0) {
      return ListeningSocket{fd, "127.0.0.1:" + std::to_string(port)};
    }
    close(fd);
  }
  return Status::Unavailable("no free TCP port on 127.0.0.1 in [" + std::to_string(range.min) + ", " +
                             std::to_string(range.max) + "]");
}

PluginListener::PluginListener(int listen_fd, std::shared_ptr<SSL_CTX> tls, HandOff hand_off)
    : listen_fd_(listen_fd),
      accept_stop_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      stop_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      tls_(std::move(tls)),
      hand_off_(std::move(hand_off)) {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

PluginListener::~PluginListener() {
  Stop();
  close(accept_stop_fd_);
  close(stop_fd_);
}

void PluginListener::StopAccepting() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) return;
    accepting_ = false;
  }
  uint64_t one = 1;
  ssize_t ignored = write(accept_stop_fd_, &one, sizeof one);
  (void)ignored;
  acceptor_.join();
  close(listen_fd_);
}

void PluginListener::Stop() {
  StopAccepting();
  std::list<RelayThread> relays;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    relays.swap(relays_);  // no relay starts after the acceptor has ended
  }
  uint64_t one = 1;
  ssize_t ignored = write(stop_fd_, &one, sizeof one);
  (void)ignored;
  for (RelayThread& r : relays) r.thread.join();
}

void PluginListener::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {accept_stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::Error("plugin listener: poll failed", {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents != 0) return;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      log::Warn("plugin listener: accept failed", {{"error", std::strerror(errno)}});
      // EMFILE and the like: do not spin while the condition lasts.
      pollfd stop{accept_stop_fd_, POLLIN, 0};
      if (poll(&stop, 1, 100) > 0) return;
      continue;
    }
    SetNoDelayIfTcp(fd);
    if (!tls_) {
      hand_off_(fd);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    relays_.remove_if([](RelayThread& r) {
      if (!r.done->load()) return false;
      r.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    relays_.push_back({std::thread([this, fd, done] {
                         Relay(fd);
                         done->store(true);
                       }),
                       done});
  }
}

void PluginListener::Relay(int client) {
  // OpenSSL writes to the client socket with write(2): a client gone away must give EPIPE, not a
  // SIGPIPE for the process (this thread's pending SIGPIPE dies with it).
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(tls_.get()), SSL_free);
  if (!ssl || SSL_set_fd(ssl.get(), client) != 1) {
    log::Error("plugin listener: cannot set up a TLS connection", {{"error", DrainOpenSslErrors()}});
    close(client);
    return;
  }

  // Waits for `events` on `fd`; false on timeout or Stop.
  auto wait = [this](int fd, short events, int timeout_ms) {
    pollfd fds[2] = {{fd, events, 0}, {stop_fd_, POLLIN, 0}};
    while (true) {
      int n = poll(fds, 2, timeout_ms);
      if (n < 0 && errno == EINTR) continue;
      return n > 0 && fds[1].revents == 0;
    }
  };

  const auto deadline = std::chrono::steady_clock::now() + kHandshakeTimeout;
  while (true) {
    ERR_clear_error();
    int r = SSL_accept(ssl.get());
    if (r == 1) break;
    int err = SSL_get_error(ssl.get(), r);
    short events = err == SSL_ERROR_WANT_READ ? POLLIN : err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (events == 0 || left.count() <= 0 || !wait(client, events, static_cast<int>(left.count()))) {
      long verify = SSL_get_verify_result(ssl.get());
      log::Warn("plugin client refused: TLS handshake failed",
                {{"error", events == 0 ? DrainOpenSslErrors() : std::string("timed out or stopped")},
                 {"certificate", verify == X509_V_OK ? std::string("not checked or ok")
                                                     : std::string(X509_verify_cert_error_string(verify))}});
      close(client);
      return;
    }
  }

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) != 0) {
    log::Error("plugin listener: socketpair failed", {{"error", std::strerror(errno)}});
    close(client);
    return;
  }
  const int plain = pair[0];
  hand_off_(pair[1]);

  // Relay until either side is done. Each pass tries every direction without blocking; only a
  // pass that moved nothing waits, for exactly what the stuck operations asked for.
  Pending to_grpc, to_client;
  bool client_open = true, grpc_open = true;
  int write_len = 0;  // length of an SSL_write to repeat (OpenSSL requires the retry to match)
  char buf[kChunk];
  while (true) {
    bool progress = false;
    short client_events = 0, plain_events = 0;

    if (client_open && to_grpc.size() < kMaxBuffered) {
      ERR_clear_error();  // SSL_get_error reads this thread's queue
      int n = SSL_read(ssl.get(), buf, sizeof buf);
      if (n > 0) {
        to_grpc.bytes.append(buf, static_cast<size_t>(n));
        progress = true;
      } else {
        int err = SSL_get_error(ssl.get(), n);
        if (err == SSL_ERROR_WANT_READ) client_events |= POLLIN;
        else if (err == SSL_ERROR_WANT_WRITE) client_events |= POLLOUT;
        else client_open = false, progress = true;  // close_notify, EOF or a TLS error
      }
    }
    if (!to_grpc.empty()) {
      ssize_t n = send(plain, to_grpc.data(), to_grpc.size(), MSG_NOSIGNAL);
      if (n > 0) to_grpc.Consume(static_cast<size_t>(n)), progress = true;
      else if (errno == EAGAIN || errno == EWOULDBLOCK) plain_events |= POLLOUT;
      else if (errno != EINTR) break;  // gRPC dropped the connection
    }
    if (grpc_open && to_client.size() < kMaxBuffered) {
      ssize_t n = recv(plain, buf, sizeof buf, 0);
      if (n > 0) to_client.bytes.append(buf, static_cast<size_t>(n)), progress = true;
      else if (n == 0) grpc_open = false, progress = true;
      else if (errno == EAGAIN || errno == EWOULDBLOCK) plain_events |= POLLIN;
      else if (errno != EINTR) grpc_open = false, progress = true;
    }
    if (!to_client.empty()) {
      int len = write_len > 0 ? write_len : static_cast<int>(std::min<size_t>(to_client.size(), INT_MAX));
      ERR_clear_error();
      int n = SSL_write(ssl.get(), to_client.data(), len);
      if (n > 0) {
        to_client.Consume(static_cast<size_t>(n));
        write_len = 0;
        progress = true;
      } else {
        int err = SSL_get_error(ssl.get(), n);
        write_len = len;
        if (err == SSL_ERROR_WANT_WRITE) client_events |= POLLOUT;
        else if (err == SSL_ERROR_WANT_READ) client_events |= POLLIN;
        else break;  // the client is gone
      }
    }

    if (!client_open && to_grpc.empty()) break;  // nothing more can reach gRPC
    if (!grpc_open && to_client.empty()) {        // gRPC closed and everything reached the client
      SSL_shutdown(ssl.get());
      break;
    }
    if (progress) continue;
    pollfd fds[3] = {{client, client_events, 0}, {plain, plain_events, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0 && errno != EINTR) break;
    if (fds[2].revents != 0) break;
  }
  ERR_clear_error();
  close(plain);   // gRPC sees the end of the stream and drops its side
  close(client);
}

}  // namespace tpd::provider
