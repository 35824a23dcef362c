#include <catch2/catch.hpp>
#include <fstream>

#include "common/security.h"
#include "tests/support/process.h"

namespace spate {
namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1768142570123;

TEST_CASE("a proof of the secret is accepted for its method and refused otherwise", "[unit]") {
  const std::string proof = MakeAuthProof(kSecret, "SubmitJob", kNow);
  CHECK(proof.find(kSecret) == std::string::npos);
  CHECK(VerifyAuthProof(kSecret, "SubmitJob", proof, kNow).ok());
  CHECK(VerifyAuthProof(kSecret, "SubmitJob", proof, kNow + kAuthMaxSkewMs).ok());
  // Another rpc, another secret, a stale or future stamp, a tampered or missing proof.
  CHECK(!VerifyAuthProof(kSecret, "KillJob", proof, kNow).ok());
  CHECK(!VerifyAuthProof("fedcba9876543210fedcba9876543210", "SubmitJob", proof, kNow).ok());
  CHECK(!VerifyAuthProof(kSecret, "SubmitJob", proof, kNow + kAuthMaxSkewMs + 1).ok());
  CHECK(!VerifyAuthProof(kSecret, "SubmitJob", proof, kNow - kAuthMaxSkewMs - 1).ok());
  std::string tampered = proof;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  CHECK(!VerifyAuthProof(kSecret, "SubmitJob", tampered, kNow).ok());
  const std::string restamped = "v1." + std::to_string(kNow + 1) + proof.substr(proof.rfind('.'));
  CHECK(!VerifyAuthProof(kSecret, "SubmitJob", restamped, kNow).ok());
  CHECK(!VerifyAuthProof(kSecret, "SubmitJob", "", kNow).ok());
  CHECK(!VerifyAuthProof(kSecret, "SubmitJob", "v1.x.y", kNow).ok());
  CHECK(!VerifyAuthProof(kSecret, "SubmitJob", "garbage", kNow).ok());
}

TEST_CASE("security flags: short secrets, lone certificates and unreadable files are refused",
          "[unit]") {
  testing::TempDir dir("spate-sec");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.Join(name)) << text;
    return dir.Join(name);
  };
  SecurityFlags flags;
  flags.auth_secret_file = write("short", "tooshort\n");
  auto s = LoadTransportSecurity(flags, true);
  REQUIRE(!s.ok());
  CHECK(s.status().message().find("at least 16 bytes") != std::string::npos);

  flags.auth_secret_file = write("good", std::string(kSecret) + "\n");
  s = LoadTransportSecurity(flags, true);
  REQUIRE(s.ok());
  CHECK(s->auth_secret == kSecret);  // the trailing newline is not part of it
  CHECK(!s->tls());

  flags.auth_secret_file = dir.Join("missing");
  s = LoadTransportSecurity(flags, true);
  REQUIRE(!s.ok());
  CHECK(s.status().message().find("--auth-secret-file") != std::string::npos);

  SecurityFlags tls;
  tls.tls_cert = write("cert.pem", "x");
  s = LoadTransportSecurity(tls, true);
  REQUIRE(!s.ok());
  CHECK(s.status().message().find("--tls-cert and --tls-key") != std::string::npos);
  tls.tls_cert.clear();
  tls.tls_ca = write("ca.pem", "x");
  CHECK(!LoadTransportSecurity(tls, /*server=*/true).ok());
  CHECK(LoadTransportSecurity(tls, /*server=*/false).ok());
}

TEST_CASE("constant-time comparison compares contents and lengths", "[unit]") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK(!ConstantTimeEquals("abc", "abd"));
  CHECK(!ConstantTimeEquals("abc", "abcd"));
  CHECK(HmacSha256Hex("key", "The quick brown fox jumps over the lazy dog") ==
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

}  // namespace
}  // namespace spate
