// Who may talk to a Spate process: the cluster's shared secret (every gRPC call carries a proof
// of it) and TLS for gRPC (mutual authentication when a CA is given). Set once per process, from
// the flags, before any channel or server is made; MakeChannel and ServerCredentials read it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace CLI {
class App;
}

namespace spate {

/// How this process proves itself to the cluster's other processes and checks them.
struct TransportSecurity {
  /// The cluster's shared secret; empty: calls carry no proof and none is checked.
  std::string auth_secret;
  /// This process's certificate chain and private key (PEM). A server needs both for TLS; a
  /// client presents them when a server asks (mutual TLS).
  std::string cert_pem;
  std::string key_pem;
  /// The CA that peers' certificates must chain to (PEM). A server with a CA requires and
  /// verifies client certificates; a client checks the server's certificate against it.
  std::string ca_pem;

  bool tls() const { return !cert_pem.empty() || !ca_pem.empty(); }
};

/// The flags that fill a TransportSecurity: --auth-secret-file, --tls-cert, --tls-key,
/// --tls-ca (paths). $SPATE_AUTH_SECRET is the secret when --auth-secret-file is not given.
struct SecurityFlags {
  std::string auth_secret_file;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
};

/// Adds the four flags to `app`, filling `flags`.
void AddSecurityFlags(CLI::App* app, SecurityFlags* flags);

/// Reads the files the flags name. `server`: the process listens for gRPC, so TLS needs
/// --tls-cert and --tls-key. InvalidArgument naming the flag for an unreadable or empty file, a
/// secret shorter than 16 bytes, a certificate without its key (or the reverse), or a client
/// with a certificate but no --tls-ca.
Result<TransportSecurity> LoadTransportSecurity(const SecurityFlags& flags, bool server);

/// A daemon's start (spate-master, spate-worker): loads and sets its transport security (as a
/// server) and its own `--conf spate.kafka.*` properties (SetDaemonKafkaProperties). The error
/// names the flag at fault.
Status ApplyDaemonSecurity(const SecurityFlags& flags, const std::vector<std::string>& kafka_conf);

/// Sets this process's security. Call before making channels or servers; not thread-safe with
/// them.
void SetTransportSecurity(TransportSecurity security);
/// This process's security (empty by default: plaintext, no secret).
const TransportSecurity& GetTransportSecurity();

/// Channel credentials for `security`: TLS when it has a CA or a certificate, else insecure.
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TransportSecurity& security);
/// Server credentials for this process's security: TLS when it has a certificate (requiring
/// client certificates when it also has a CA), else insecure.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials();

/// Client interceptors that add a proof of `secret` to every call (none when it is empty).
std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
MakeAuthInterceptors(const std::string& secret);

/// The metadata key that carries a call's proof of the secret.
inline constexpr char kAuthMetadataKey[] = "x-spate-auth";
/// How far a proof's time may be from the checker's clock.
inline constexpr int64_t kAuthMaxSkewMs = 5 * 60 * 1000;

/// The proof for one call of `method` ("SubmitJob") at `now_ms`: "v1.<ms>.<hex HMAC-SHA256 of
/// '<ms>.<method>' keyed by the secret>". The secret itself never leaves the process.
std::string MakeAuthProof(std::string_view secret, std::string_view method, int64_t now_ms);
/// Checks `proof` for `method` against `secret` in constant time; Unauthenticated-style
/// InvalidArgument ("no proof", "wrong proof", "proof too old") otherwise.
Status VerifyAuthProof(std::string_view secret, std::string_view method, std::string_view proof,
                       int64_t now_ms);

/// Server side of every rpc: OK when this process has no secret or the call carries a good
/// proof; otherwise UNAUTHENTICATED, logged once per peer host and counted. Thread-safe.
grpc::Status AuthorizeCall(const grpc::ServerContext* context, std::string_view method);
/// Calls refused by AuthorizeCall since the process started.
int64_t AuthFailureCount();

/// Equal in constant time (for the page's tokens as well).
bool ConstantTimeEquals(std::string_view a, std::string_view b);
/// Lowercase hex of HMAC-SHA256(key, message).
std::string HmacSha256Hex(std::string_view key, std::string_view message);

}  // namespace spate
