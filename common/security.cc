#include "common/security.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "common/kafka_props.h"

namespace spate {
namespace {

constexpr size_t kMinSecretBytes = 16;

TransportSecurity& ProcessSecurity() {
  static TransportSecurity security;
  return security;
}

std::atomic<int64_t> g_auth_failures{0};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> ReadWholeFile(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(std::string(flag) + ": cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  std::string text = out.str();
  if (text.empty()) return Status::InvalidArgument(std::string(flag) + ": " + path + " is empty");
  return text;
}

// A file that is not PEM fails here, with its flag named, instead of as a server that cannot
// start or a handshake that fails later.
Status CheckPem(const std::string& pem, const std::string& path, const char* flag, bool key) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  bool ok = false;
  if (key) {
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    ok = k != nullptr;
    EVP_PKEY_free(k);
  } else {
    X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    ok = x != nullptr;
    X509_free(x);
  }
  BIO_free(bio);
  if (ok) return Status::OK();
  return Status::InvalidArgument(std::string(flag) + ": " + path + " holds no PEM " +
                                 (key ? "private key (an unencrypted one)" : "certificate"));
}

std::string TrimTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// "/spate.Master/SubmitJob" -> "SubmitJob": the name the server side knows its rpc by.
std::string_view RpcName(std::string_view method) {
  size_t slash = method.rfind('/');
  return slash == std::string_view::npos ? method : method.substr(slash + 1);
}

// "ipv4:10.0.0.7:51234" -> "ipv4:10.0.0.7": a peer reconnects from new ports.
std::string PeerHost(const std::string& peer) {
  size_t colon = peer.rfind(':');
  size_t first = peer.find(':');
  return colon == std::string::npos || colon == first ? peer : peer.substr(0, colon);
}

class AuthInterceptor final : public grpc::experimental::Interceptor {
 public:
  AuthInterceptor(std::shared_ptr<const std::string> secret, std::string method)
      : secret_(std::move(secret)), method_(std::move(method)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kAuthMetadataKey,
                                                 MakeAuthProof(*secret_, method_, WallMs()));
    }
    methods->Proceed();
  }

 private:
  std::shared_ptr<const std::string> secret_;
  std::string method_;
};

class AuthInterceptorFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit AuthInterceptorFactory(std::shared_ptr<const std::string> secret)
      : secret_(std::move(secret)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    return new AuthInterceptor(secret_, std::string(RpcName(info->method())));
  }

 private:
  std::shared_ptr<const std::string> secret_;
};

}  // namespace

void AddSecurityFlags(CLI::App* app, SecurityFlags* flags) {
  app->add_option("--auth-secret-file", flags->auth_secret_file,
                  "file holding the cluster's shared secret (env SPATE_AUTH_SECRET); every "
                  "gRPC call then carries a proof of it");
  app->add_option("--tls-cert", flags->tls_cert,
                  "PEM certificate chain: TLS for gRPC and the page");
  app->add_option("--tls-key", flags->tls_key, "PEM private key of --tls-cert");
  app->add_option("--tls-ca", flags->tls_ca,
                  "PEM CA that peers' certificates must chain to (servers then require client "
                  "certificates)");
}

Result<TransportSecurity> LoadTransportSecurity(const SecurityFlags& flags, bool server) {
  TransportSecurity s;
  if (!flags.auth_secret_file.empty()) {
    SPATE_ASSIGN_OR_RETURN(std::string text,
                           ReadWholeFile(flags.auth_secret_file, "--auth-secret-file"));
    s.auth_secret = TrimTrailingNewlines(std::move(text));
    struct stat st {};
    if (::stat(flags.auth_secret_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      spdlog::warn("--auth-secret-file {} is readable by other users (chmod 600 it)",
                   flags.auth_secret_file);
    }
  } else if (const char* env = std::getenv("SPATE_AUTH_SECRET"); env != nullptr && *env) {
    s.auth_secret = TrimTrailingNewlines(env);
  }
  if (!s.auth_secret.empty() && s.auth_secret.size() < kMinSecretBytes) {
    return Status::InvalidArgument(
        "the cluster secret (--auth-secret-file or SPATE_AUTH_SECRET) must be at least " +
        std::to_string(kMinSecretBytes) + " bytes; `openssl rand -hex 32` makes a good one");
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key go together");
  }
  if (!flags.tls_cert.empty()) {
    SPATE_ASSIGN_OR_RETURN(s.cert_pem, ReadWholeFile(flags.tls_cert, "--tls-cert"));
    SPATE_RETURN_IF_ERROR(CheckPem(s.cert_pem, flags.tls_cert, "--tls-cert", false));
    SPATE_ASSIGN_OR_RETURN(s.key_pem, ReadWholeFile(flags.tls_key, "--tls-key"));
    SPATE_RETURN_IF_ERROR(CheckPem(s.key_pem, flags.tls_key, "--tls-key", true));
  }
  if (!flags.tls_ca.empty()) {
    SPATE_ASSIGN_OR_RETURN(s.ca_pem, ReadWholeFile(flags.tls_ca, "--tls-ca"));
    SPATE_RETURN_IF_ERROR(CheckPem(s.ca_pem, flags.tls_ca, "--tls-ca", false));
  }
  if (server && !s.ca_pem.empty() && s.cert_pem.empty()) {
    return Status::InvalidArgument("--tls-ca on a server needs --tls-cert and --tls-key too");
  }
  if (!server && !s.cert_pem.empty() && s.ca_pem.empty()) {
    return Status::InvalidArgument(
        "--tls-cert on a client needs --tls-ca (the CA that signed the master's certificate)");
  }
  return s;
}

void SetTransportSecurity(TransportSecurity security) { ProcessSecurity() = std::move(security); }

const TransportSecurity& GetTransportSecurity() { return ProcessSecurity(); }

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(
    const TransportSecurity& security) {
  if (!security.tls()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = security.ca_pem;
  options.pem_private_key = security.key_pem;
  options.pem_cert_chain = security.cert_pem;
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials() {
  const TransportSecurity& security = GetTransportSecurity();
  if (security.cert_pem.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      security.ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = security.ca_pem;
  options.pem_key_cert_pairs.push_back({security.key_pem, security.cert_pem});
  return grpc::SslServerCredentials(options);
}

std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
MakeAuthInterceptors(const std::string& secret) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> out;
  if (secret.empty()) return out;
  out.push_back(
      std::make_unique<AuthInterceptorFactory>(std::make_shared<const std::string>(secret)));
  return out;
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string MakeAuthProof(std::string_view secret, std::string_view method, int64_t now_ms) {
  const std::string stamp = std::to_string(now_ms);
  return "v1." + stamp + "." + HmacSha256Hex(secret, stamp + "." + std::string(method));
}

Status VerifyAuthProof(std::string_view secret, std::string_view method, std::string_view proof,
                       int64_t now_ms) {
  if (proof.empty()) return Status::InvalidArgument("the call carries no proof of the secret");
  if (proof.substr(0, 3) != "v1.") return Status::InvalidArgument("malformed proof");
  std::string_view rest = proof.substr(3);
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return Status::InvalidArgument("malformed proof");
  int64_t stamp = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + dot, stamp);
  if (ec != std::errc() || ptr != rest.data() + dot) {
    return Status::InvalidArgument("malformed proof");
  }
  const std::string expected =
      HmacSha256Hex(secret, std::string(rest.substr(0, dot)) + "." + std::string(method));
  if (!ConstantTimeEquals(rest.substr(dot + 1), expected)) {
    return Status::InvalidArgument("wrong proof of the secret");
  }
  // Checked after the MAC, so a stranger learns nothing about the clock from the answer.
  if (stamp < now_ms - kAuthMaxSkewMs || stamp > now_ms + kAuthMaxSkewMs) {
    return Status::InvalidArgument("proof too old (or the clocks differ by over 5 minutes)");
  }
  return Status::OK();
}

grpc::Status AuthorizeCall(const grpc::ServerContext* context, std::string_view method) {
  const std::string& secret = GetTransportSecurity().auth_secret;
  if (secret.empty()) return grpc::Status::OK;
  std::string_view proof;
  const auto& md = context->client_metadata();
  if (auto it = md.find(kAuthMetadataKey); it != md.end()) {
    proof = std::string_view(it->second.data(), it->second.size());
  }
  Status s = VerifyAuthProof(secret, method, proof, WallMs());
  if (s.ok()) return grpc::Status::OK;
  g_auth_failures.fetch_add(1, std::memory_order_relaxed);
  {
    static std::mutex mu;
    static std::set<std::string> seen;
    const std::string host = PeerHost(context->peer());
    std::lock_guard<std::mutex> lock(mu);
    // Once per host: a stranger retrying in a loop must not fill the log.
    if (seen.size() < 4096 && seen.insert(host).second) {
      spdlog::warn("refused {} from {}: {} (further refusals from it are only counted)", method,
                   host, s.message());
    }
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "unauthenticated: " + s.message() +
                          " (this cluster needs its shared secret: --auth-secret-file)");
}

int64_t AuthFailureCount() { return g_auth_failures.load(std::memory_order_relaxed); }

Status ApplyDaemonSecurity(const SecurityFlags& flags, const std::vector<std::string>& kafka_conf) {
  SPATE_ASSIGN_OR_RETURN(TransportSecurity security, LoadTransportSecurity(flags, /*server=*/true));
  SetTransportSecurity(std::move(security));
  SPATE_ASSIGN_OR_RETURN(auto properties, ParseKafkaConfFlags(kafka_conf));
  SetDaemonKafkaProperties(std::move(properties));
  return Status::OK();
}

}  // namespace spate
