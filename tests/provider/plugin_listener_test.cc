#include "provider/plugin_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "provider/tls.h"

namespace tpd::provider {
namespace {

// The test's own clients write to sockets the listener may have closed.
const bool kIgnoreSigpipe = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string TempSocketPath() {
  char dir[] = "/tmp/tpd-listener-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  return std::string(dir) + "/plugin.sock";
}

int ConnectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{5, 0};  // no test may hang on a read
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Stands in for gRPC: echoes every byte of each handed-off stream until its peer closes it, or
// closes it itself after reading "bye".
class EchoSink {
 public:
  HandOff hand_off() {
    return [this](int fd) {
      handed_.fetch_add(1);
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back([fd] {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        char buf[65536];
        while (true) {
          ssize_t n = read(fd, buf, sizeof buf);
          if (n <= 0) break;
          if (std::string_view(buf, static_cast<size_t>(n)) == "bye") break;
          for (ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, static_cast<size_t>(n - off));
            if (w <= 0) break;
            off += w;
          }
        }
        close(fd);
      });
    };
  }
  int handed() const { return handed_.load(); }
  ~EchoSink() {
    for (std::thread& t : threads_) t.join();
  }

 private:
  std::atomic<int> handed_{0};
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

SelfSignedCert MakeIdentity(EcCurve curve) {
  CertOptions options;
  options.curve = curve;
  Result<SelfSignedCert> gen = GenerateSelfSignedCert(options);
  REQUIRE(gen.ok());
  return *gen;
}

// A blocking TLS client over a unix socket, set up as Terraform's: trusts only the server's
// certificate, verifies "localhost", presents its own certificate (when given), offers `alpn`.
class TlsClient {
 public:
  TlsClient(const std::string& path, const SelfSignedCert& server, const SelfSignedCert* own,
            const std::string& alpn = "h2")
      : ctx_(SSL_CTX_new(TLS_client_method()), SSL_CTX_free), ssl_(nullptr, SSL_free) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(server.cert_der.data());
    X509* trusted = d2i_X509(nullptr, &p, static_cast<long>(server.cert_der.size()));
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_.get()), trusted);
    X509_free(trusted);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    if (own != nullptr) {
      const unsigned char* q = reinterpret_cast<const unsigned char*>(own->cert_der.data());
      X509* cert = d2i_X509(nullptr, &q, static_cast<long>(own->cert_der.size()));
      SSL_CTX_use_certificate(ctx_.get(), cert);
      X509_free(cert);
      SSL_CTX_use_PrivateKey(ctx_.get(), own->key.get());
    }
    std::string wire(1, static_cast<char>(alpn.size()));
    wire += alpn;
    SSL_CTX_set_alpn_protos(ctx_.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
    fd_ = ConnectUnix(path);
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    SSL_set1_host(ssl_.get(), "localhost");
  }
  ~TlsClient() { close(fd_); }

  bool Handshake() { return SSL_connect(ssl_.get()) == 1; }
  std::string Alpn() {
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl_.get(), &data, &len);
    return std::string(reinterpret_cast<const char*>(data), len);
  }
  bool Write(std::string_view data) {
    while (!data.empty()) {
      int n = SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size()));
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads exactly n bytes; returns fewer when the connection ends or fails first.
  std::string Read(size_t n) {
    std::string out;
    char buf[16384];
    while (out.size() < n) {
      int got = SSL_read(ssl_.get(), buf, static_cast<int>(std::min(sizeof buf, n - out.size())));
      if (got <= 0) {
        last_error_ = SSL_get_error(ssl_.get(), got);
        break;
      }
      out.append(buf, static_cast<size_t>(got));
    }
    ERR_clear_error();
    return out;
  }
  int last_error() const { return last_error_; }

 private:
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx_;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_;
  int fd_ = -1;
  int last_error_ = SSL_ERROR_NONE;
};

// A running listener with TLS: our identity (P-256) and Terraform's (P-521, as Terraform makes it).
struct TlsFixture {
  SelfSignedCert server = MakeIdentity(EcCurve::kP256);
  SelfSignedCert terraform = MakeIdentity(EcCurve::kP521);
  std::string path = TempSocketPath();
  EchoSink sink;
  std::unique_ptr<PluginListener> listener;

  TlsFixture() {
    InitTransportOpenSsl();
    Result<std::shared_ptr<SSL_CTX>> ctx = NewServerTlsContext(server, terraform.cert_pem);
    REQUIRE(ctx.ok());
    Result<ListeningSocket> socket = ListenUnix(path);
    REQUIRE(socket.ok());
    listener = std::make_unique<PluginListener>(socket->fd, *ctx, sink.hand_off());
  }
  ~TlsFixture() {
    listener.reset();
    unlink(path.c_str());
    rmdir(path.substr(0, path.rfind('/')).c_str());
  }
};

// A client of `f` presenting Terraform's certificate, after one echoed "ping".
std::unique_ptr<TlsClient> PingedClient(TlsFixture& f) {
  auto client = std::make_unique<TlsClient>(f.path, f.server, &f.terraform);
  REQUIRE(client->Handshake());
  REQUIRE(client->Write("ping"));
  REQUIRE(client->Read(4) == "ping");
  return client;
}

TEST_CASE("PluginListener: relays bytes both ways after mutual TLS with ALPN h2", "[provider]") {
  TlsFixture f;
  TlsClient client(f.path, f.server, &f.terraform);
  REQUIRE(client.Handshake());
  CHECK(client.Alpn() == "h2");

  // 4 MiB in 256 KiB rounds, each echoed back whole: more than the relay buffers per direction.
  std::mt19937 rng(7);
  for (int round = 0; round < 16; ++round) {
    std::string chunk(256 * 1024, '\0');
    for (char& c : chunk) c = static_cast<char>(rng());
    REQUIRE(client.Write(chunk));
    REQUIRE(client.Read(chunk.size()) == chunk);
  }
  CHECK(f.sink.handed() == 1);
}

TEST_CASE("PluginListener: a stream gRPC closes ends the TLS connection cleanly", "[provider]") {
  TlsFixture f;
  std::unique_ptr<TlsClient> client = PingedClient(f);
  REQUIRE(client->Write("bye"));  // the sink closes its end
  CHECK(client->Read(1).empty());
  CHECK(client->last_error() == SSL_ERROR_ZERO_RETURN);  // close_notify, not a cut connection
}

TEST_CASE("PluginListener: refuses clients that are not Terraform; gRPC never sees them", "[provider]") {
  TlsFixture f;
  SECTION("another certificate") {
    SelfSignedCert stranger = MakeIdentity(EcCurve::kP521);
    TlsClient client(f.path, f.server, &stranger);
    // With TLS 1.3 the client may finish its side before the server has checked its certificate;
    // the refusal then arrives on the first read.
    bool connected = client.Handshake() && client.Write("x") && client.Read(1) == "x";
    CHECK_FALSE(connected);
  }
  SECTION("no certificate") {
    TlsClient client(f.path, f.server, nullptr);
    bool connected = client.Handshake() && client.Write("x") && client.Read(1) == "x";
    CHECK_FALSE(connected);
  }
  SECTION("ALPN without h2") {
    TlsClient client(f.path, f.server, &f.terraform, "http/1.1");
    CHECK_FALSE(client.Handshake());
  }
  SECTION("not TLS at all") {
    int fd = ConnectUnix(f.path);
    const char kHttp2Preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    REQUIRE(write(fd, kHttp2Preface, sizeof kHttp2Preface - 1) > 0);
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);  // an alert or the end of the stream, never a reply
    CHECK((n <= 0 || buf[0] == 0x15));       // 0x15: TLS alert record
    close(fd);
  }
  // The listener still serves Terraform afterwards.
  PingedClient(f);
  CHECK(f.sink.handed() == 1);
}

TEST_CASE("PluginListener: Stop ends open connections promptly", "[provider]") {
  TlsFixture f;
  std::unique_ptr<TlsClient> client = PingedClient(f);
  auto start = std::chrono::steady_clock::now();
  f.listener->Stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(client->Read(1).empty());
  f.listener->Stop();  // idempotent
}

TEST_CASE("PluginListener: StopAccepting leaves open connections relaying", "[provider]") {
  TlsFixture f;
  TlsClient client(f.path, f.server, &f.terraform);
  REQUIRE(client.Handshake());
  f.listener->StopAccepting();
  REQUIRE(client.Write("still here"));
  CHECK(client.Read(10) == "still here");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, f.path.c_str(), sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0);  // nobody listens
  close(fd);
}

TEST_CASE("PluginListener: without TLS the accepted socket itself is handed over", "[provider]") {
  std::string path = TempSocketPath();
  EchoSink sink;
  {
    Result<ListeningSocket> socket = ListenUnix(path);
    REQUIRE(socket.ok());
    CHECK(socket->address == path);
    PluginListener listener(socket->fd, nullptr, sink.hand_off());
    int fd = ConnectUnix(path);
    REQUIRE(write(fd, "plain", 5) == 5);
    char buf[8] = {0};
    CHECK(read(fd, buf, sizeof buf) == 5);
    CHECK(std::string(buf) == "plain");
    close(fd);
  }
  CHECK(sink.handed() == 1);
  unlink(path.c_str());
  rmdir(path.substr(0, path.rfind('/')).c_str());
}

TEST_CASE("ListenTcp: first free port of the range on 127.0.0.1, Unavailable when none is", "[provider]") {
  Result<ListeningSocket> first = ListenTcp(PortRange{20000, 20100});
  REQUIRE(first.ok());
  CHECK(first->address.rfind("127.0.0.1:", 0) == 0);
  int port = std::atoi(first->address.substr(10).c_str());
  CHECK(port >= 20000);
  CHECK(port <= 20100);
  Result<ListeningSocket> taken = ListenTcp(PortRange{port, port});
  CHECK(taken.status().IsUnavailable());
  Result<ListeningSocket> next = ListenTcp(PortRange{port, port + 50});
  REQUIRE(next.ok());
  CHECK(next->address != first->address);
  close(first->fd);
  close(next->fd);
}

TEST_CASE("ListenUnix: an existing path is an error, not a takeover", "[provider]") {
  std::string path = TempSocketPath();
  Result<ListeningSocket> first = ListenUnix(path);
  REQUIRE(first.ok());
  CHECK(ListenUnix(path).status().IsUnavailable());
  close(first->fd);
  unlink(path.c_str());
  rmdir(path.substr(0, path.rfind('/')).c_str());
}

}  // namespace
}  // namespace tpd::provider
