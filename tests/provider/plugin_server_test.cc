// End-to-end tests of ServePlugin: the server runs in a separate process (this test binary
// re-executed with a hidden test case), exactly as Terraform would start it: environment in,
// handshake line out on stdout, gRPC over a unix socket or TCP, mTLS with per-start certificates.
#include "provider/plugin_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "proto/plugin.grpc.pb.h"
#include "proto/tfplugin5.grpc.pb.h"
#include "proto/tfplugin6.grpc.pb.h"
#include "provider/handshake.h"
#include "provider/tls.h"

extern char** environ;

namespace tpd::provider {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---- the fake provider services the child serves --------------------------------------------

class FakeProvider6 final : public tfplugin6::Provider::Service {
  grpc::Status GetProviderSchema(grpc::ServerContext*, const tfplugin6::GetProviderSchema::Request*,
                                 tfplugin6::GetProviderSchema::Response* resp) override {
    auto* d = resp->add_diagnostics();
    d->set_severity(tfplugin6::Diagnostic::WARNING);
    d->set_summary("fake provider v6");
    return grpc::Status::OK;
  }
};

class FakeProvider5 final : public tfplugin5::Provider::Service {
  grpc::Status GetSchema(grpc::ServerContext*, const tfplugin5::GetProviderSchema::Request*,
                         tfplugin5::GetProviderSchema::Response* resp) override {
    auto* d = resp->add_diagnostics();
    d->set_severity(tfplugin5::Diagnostic::WARNING);
    d->set_summary("fake provider v5");
    return grpc::Status::OK;
  }
};

std::unique_ptr<grpc::Service> FakeFactory(int version) {
  if (version == 6) return std::make_unique<FakeProvider6>();
  if (version == 5) return std::make_unique<FakeProvider5>();
  return nullptr;
}

constexpr const char* kChildModeVar = "TPD_PLUGIN_SERVER_TEST_CHILD";

// Hidden (not run by default or by ctest): the body of the child process.
TEST_CASE("PluginServerChild", "[.plugin_server_child]") {
  const char* mode = std::getenv(kChildModeVar);
  if (mode == nullptr) return;
  ServeOptions options;
  options.debug = std::string(mode) == "debug";
  int rc = ServePlugin(FakeFactory, options);
  std::_Exit(rc);  // never return into Catch: it would print to stdout
}

// ---- process helpers --------------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  int out_fd = -1;  // child's stdout
  int err_fd = -1;  // child's stderr
  std::string out_buf;

  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out_fd >= 0) close(out_fd);
    if (err_fd >= 0) close(err_fd);
  }
};

// Starts this test binary as a plugin server with exactly the given extra variables (Terraform's
// variables inherited from our environment are removed first).
void Spawn(Child& child, const std::string& mode, const std::vector<std::pair<std::string, std::string>>& vars) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    if (kv.rfind("TF_PLUGIN_MAGIC_COOKIE=", 0) == 0 || kv.rfind("PLUGIN_", 0) == 0 ||
        kv.rfind("TPD_PLUGIN_NETWORK=", 0) == 0 || kv.rfind(kChildModeVar, 0) == 0) {
      continue;
    }
    env.push_back(kv);
  }
  env.push_back(std::string(kChildModeVar) + "=" + mode);
  for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::string exe = "/proc/self/exe";
  char resolved[4096];
  ssize_t n = readlink("/proc/self/exe", resolved, sizeof resolved - 1);
  if (n > 0) exe.assign(resolved, static_cast<size_t>(n));
  std::vector<std::string> args = {exe, "PluginServerChild", "-o", "/dev/null"};
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out[2], err[2];
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(pipe2(err, O_CLOEXEC) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec (the parent has gRPC threads).
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  child.pid = pid;
  child.out_fd = out[0];
  child.err_fd = err[0];
}

// Reads from fd until `stop(buffer)` or EOF or the deadline. Returns false on timeout.
bool ReadUntil(int fd, std::string& buf, const std::function<bool(const std::string&)>& stop,
               std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!stop(buf)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n <= 0) return true;  // EOF
    buf.append(tmp, static_cast<size_t>(n));
  }
  return true;
}

std::string ReadFirstLine(Child& child) {
  bool ok = ReadUntil(child.out_fd, child.out_buf,
                      [](const std::string& b) { return b.find('\n') != std::string::npos; }, 30s);
  REQUIRE(ok);
  size_t nl = child.out_buf.find('\n');
  REQUIRE(nl != std::string::npos);
  std::string line = child.out_buf.substr(0, nl);
  child.out_buf.erase(0, nl + 1);
  return line;
}

std::string ReadAll(int fd, std::chrono::milliseconds timeout) {
  std::string buf;
  ReadUntil(fd, buf, [](const std::string&) { return false; }, timeout);
  return buf;
}

// Waits for the child to exit; returns its wait status, or nullopt on timeout.
std::optional<int> WaitExit(Child& child, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(child.pid, &status, WNOHANG);
    if (r == child.pid) {
      child.pid = -1;
      return status;
    }
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

// ---- gRPC helpers -----------------------------------------------------------------------------

std::string TargetFor(const HandshakeLine& line) {
  return line.network == "unix" ? "unix:" + line.address : line.address;
}

std::shared_ptr<grpc::Channel> TlsChannel(const HandshakeLine& line, const SelfSignedCert& client) {
  Result<std::string> der = DecodeBase64RawStd(line.cert_base64);
  REQUIRE(der.ok());
  Result<std::string> server_pem = CertDerToPem(*der);
  REQUIRE(server_pem.ok());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *server_pem;
  ssl.pem_private_key = client.key_pem;
  ssl.pem_cert_chain = client.cert_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel(TargetFor(line), grpc::SslCredentials(ssl), args);
}

std::shared_ptr<grpc::Channel> PlainChannel(const HandshakeLine& line) {
  return grpc::CreateChannel(TargetFor(line), grpc::InsecureChannelCredentials());
}

// grpc.health.v1.Health/Check, hand-encoded: request {service: name}; returns the status enum
// (1 = SERVING), or -1 with `error` set when the call fails.
int HealthCheck(const std::shared_ptr<grpc::Channel>& channel, const std::string& service, grpc::Status* error) {
  std::string req_bytes;
  req_bytes += '\x0a';
  req_bytes += static_cast<char>(service.size());
  req_bytes += service;
  grpc::Slice slice(req_bytes);
  grpc::ByteBuffer req(&slice, 1);
  grpc::ByteBuffer resp;
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status st = done.get_future().get();
  if (error != nullptr) *error = st;
  if (!st.ok()) return -1;
  std::vector<grpc::Slice> slices;
  REQUIRE(resp.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (bytes.empty()) return 0;  // UNKNOWN is the default and encodes as nothing
  REQUIRE(bytes.size() == 2);
  REQUIRE(bytes[0] == '\x08');
  return bytes[1];
}

grpc::Status CallShutdown(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = plugin::GRPCController::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  plugin::Empty req, resp;
  return stub->Shutdown(&ctx, req, &resp);
}

bool IsSocket(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::string TempDir() {
  char tmpl[] = "/tmp/tpd-ps-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  return tmpl;
}

const std::pair<std::string, std::string> kCookie = {"TF_PLUGIN_MAGIC_COOKIE",
                                                     std::string(kMagicCookieValue)};

// ---- tests ------------------------------------------------------------------------------------

TEST_CASE("ServePlugin: serves protocol 6 over mTLS on a unix socket and exits 0 on Shutdown",
          "[provider]") {
  Result<SelfSignedCert> client = GenerateSelfSignedCert();
  REQUIRE(client.ok());
  std::string dir = TempDir();
  Child child;
  Spawn(child, "serve",
        {kCookie, {"PLUGIN_PROTOCOL_VERSIONS", "6,5"}, {"PLUGIN_CLIENT_CERT", client->cert_pem},
         {"PLUGIN_UNIX_SOCKET_DIR", dir}});

  std::string text = ReadFirstLine(child);
  Result<HandshakeLine> line = ParseHandshakeLine(text);
  REQUIRE(line.ok());
  CHECK(line->core_version == 1);
  CHECK(line->app_version == 6);
  CHECK(line->network == "unix");
  CHECK(line->address.rfind(dir + "/", 0) == 0);
  CHECK(line->address.size() < 100);
  CHECK(IsSocket(line->address));
  CHECK(line->protocol == "grpc");
  CHECK(line->cert_base64.size() > 50);
  CHECK(line->cert_base64.find('=') == std::string::npos);
  CHECK(text.find('|') != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '|') == 5);

  auto channel = TlsChannel(*line, *client);
  grpc::Status err;
  int health = HealthCheck(channel, "plugin", &err);
  INFO("health check: " << err.error_message());
  CHECK(health == 1);

  SECTION("the negotiated provider service answers") {
    auto stub = tfplugin6::Provider::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    tfplugin6::GetProviderSchema::Request req;
    tfplugin6::GetProviderSchema::Response resp;
    grpc::Status st = stub->GetProviderSchema(&ctx, req, &resp);
    REQUIRE(st.ok());
    REQUIRE(resp.diagnostics_size() == 1);
    CHECK(resp.diagnostics(0).summary() == "fake provider v6");
  }

  SECTION("a client presenting a different certificate is refused") {
    Result<SelfSignedCert> stranger = GenerateSelfSignedCert();
    REQUIRE(stranger.ok());
    grpc::Status st;
    CHECK(HealthCheck(TlsChannel(*line, *stranger), "plugin", &st) == -1);
    CHECK_FALSE(st.ok());
    // The legitimate client still works afterwards.
    CHECK(HealthCheck(channel, "plugin", nullptr) == 1);
  }

  SECTION("a plaintext client is refused") {
    grpc::Status st;
    CHECK(HealthCheck(PlainChannel(*line), "plugin", &st) == -1);
    CHECK_FALSE(st.ok());
  }

  SECTION("SIGINT does not stop the server") {
    REQUIRE(kill(child.pid, SIGINT) == 0);
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(WaitExit(child, 10ms).has_value());
    CHECK(HealthCheck(channel, "plugin", nullptr) == 1);
  }

  SECTION("the stdio stream stays open without data until shutdown") {
    auto stub = plugin::GRPCStdio::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 300ms);
    google::protobuf::Empty req;
    auto reader = stub->StreamStdio(&ctx, req);
    plugin::StdioData data;
    CHECK_FALSE(reader->Read(&data));  // ends by our deadline, with nothing received
    CHECK(reader->Finish().error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  }

  // Shutdown: reply, then exit 0 well within Terraform's 2 s.
  std::string socket_path = line->address;
  auto t0 = Clock::now();
  grpc::Status st = CallShutdown(channel);
  CHECK(st.ok());
  std::optional<int> status = WaitExit(child, 2s);
  auto elapsed = Clock::now() - t0;
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(elapsed < 1500ms);
  CHECK_FALSE(IsSocket(socket_path));
  // Nothing but the handshake line ever reached stdout.
  std::string rest = child.out_buf + ReadAll(child.out_fd, 1s);
  CHECK(rest.empty());
  rmdir(dir.c_str());
}

TEST_CASE("ServePlugin: negotiates protocol 5 and serves plaintext TCP without a client cert", "[provider]") {
  Child child;
  Spawn(child, "serve",
        {kCookie, {"PLUGIN_PROTOCOL_VERSIONS", "5"}, {"TPD_PLUGIN_NETWORK", "tcp"},
         {"PLUGIN_MIN_PORT", "21000"}, {"PLUGIN_MAX_PORT", "21999"}});
  Result<HandshakeLine> line = ParseHandshakeLine(ReadFirstLine(child));
  REQUIRE(line.ok());
  CHECK(line->app_version == 5);
  CHECK(line->network == "tcp");
  REQUIRE(line->address.rfind("127.0.0.1:", 0) == 0);
  int port = std::stoi(line->address.substr(std::strlen("127.0.0.1:")));
  CHECK(port >= 21000);
  CHECK(port <= 21999);
  CHECK(line->cert_base64.empty());

  auto channel = PlainChannel(*line);
  CHECK(HealthCheck(channel, "plugin", nullptr) == 1);
  {
    auto stub = tfplugin5::Provider::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    tfplugin5::GetProviderSchema::Request req;
    tfplugin5::GetProviderSchema::Response resp;
    REQUIRE(stub->GetSchema(&ctx, req, &resp).ok());
    REQUIRE(resp.diagnostics_size() == 1);
    CHECK(resp.diagnostics(0).summary() == "fake provider v5");
  }
  {
    // Protocol 6 is not served in this process.
    auto stub = tfplugin6::Provider::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    tfplugin6::GetProviderSchema::Request req;
    tfplugin6::GetProviderSchema::Response resp;
    CHECK(stub->GetProviderSchema(&ctx, req, &resp).error_code() == grpc::StatusCode::UNIMPLEMENTED);
  }
  CHECK(CallShutdown(channel).ok());
  std::optional<int> status = WaitExit(child, 2s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("ServePlugin: exits 1 with a message on stderr and nothing on stdout without the cookie",
          "[provider]") {
  Child child;
  Spawn(child, "serve", {{"PLUGIN_PROTOCOL_VERSIONS", "5,6"}});
  std::optional<int> status = WaitExit(child, 10s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  CHECK(ReadAll(child.out_fd, 1s).empty());
  std::string err = ReadAll(child.err_fd, 1s);
  CHECK(err.find("This binary is a plugin") != std::string::npos);
}

TEST_CASE("ServePlugin: a wrong cookie is refused like a missing one", "[provider]") {
  Child child;
  Spawn(child, "serve", {{"TF_PLUGIN_MAGIC_COOKIE", "nope"}});
  std::optional<int> status = WaitExit(child, 10s);
  REQUIRE(status.has_value());
  CHECK(WEXITSTATUS(*status) == 1);
  CHECK(ReadAll(child.out_fd, 1s).empty());
}

TEST_CASE("ServePlugin: debug mode prints TF_REATTACH_PROVIDERS and stops on SIGTERM", "[provider]") {
  std::string dir = TempDir();
  Child child;
  Spawn(child, "debug", {{"PLUGIN_UNIX_SOCKET_DIR", dir}});
  REQUIRE(ReadUntil(child.out_fd, child.out_buf,
                    [](const std::string& b) { return b.find("Ctrl-C") != std::string::npos; }, 30s));
  size_t start = child.out_buf.find("TF_REATTACH_PROVIDERS='");
  REQUIRE(start != std::string::npos);
  start += std::strlen("TF_REATTACH_PROVIDERS='");
  size_t end = child.out_buf.find('\'', start);
  REQUIRE(end != std::string::npos);
  nlohmann::json j = nlohmann::json::parse(child.out_buf.substr(start, end - start));
  const nlohmann::json& e = j.at("terraform.local/dbupgrade/database");
  CHECK(e.at("Pid") == child.pid);
  CHECK(e.at("Test") == true);
  CHECK(e.at("ProtocolVersion") == 6);
  CHECK(e.at("Addr").at("Network") == "unix");

  HandshakeLine line;
  line.network = "unix";
  line.address = e.at("Addr").at("String").get<std::string>();
  CHECK(HealthCheck(PlainChannel(line), "plugin", nullptr) == 1);

  REQUIRE(kill(child.pid, SIGTERM) == 0);
  std::optional<int> status = WaitExit(child, 3s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_FALSE(IsSocket(line.address));
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace tpd::provider
