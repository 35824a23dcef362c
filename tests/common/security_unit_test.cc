#include <catch2/catch.hpp>
#include <fstream>

#include "common/kafka_props.h"
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
  s = LoadTransportSecurity(tls, /*server=*/false);
  REQUIRE(!s.ok());
  CHECK(s.status().message().find("holds no PEM certificate") != std::string::npos);
  // A real CA (scripts/gen-certs.sh): a client may verify the server with it alone; a server
  // needs its own certificate and key.
  auto made =
      testing::RunCommand({testing::SourceDir() + "/scripts/gen-certs.sh", dir.Join("certs")},
                          std::chrono::seconds(30));
  REQUIRE(made.ok());
  REQUIRE(made->exit_code == 0);
  tls.tls_ca = dir.Join("certs/ca.pem");
  CHECK(!LoadTransportSecurity(tls, /*server=*/true).ok());
  CHECK(LoadTransportSecurity(tls, /*server=*/false).ok());
  tls.tls_cert = dir.Join("certs/node.pem");
  tls.tls_key = dir.Join("certs/ca.pem");  // a certificate where the key should be
  s = LoadTransportSecurity(tls, /*server=*/true);
  REQUIRE(!s.ok());
  CHECK(s.status().message().find("--tls-key") != std::string::npos);
  tls.tls_key = dir.Join("certs/node.key");
  s = LoadTransportSecurity(tls, /*server=*/true);
  REQUIRE(s.ok());
  CHECK(s->tls());
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

namespace spate {
namespace {

TEST_CASE("a job may set Kafka security and tuning properties, not ones that run code", "[unit]") {
  for (const char* ok : {"security.protocol", "sasl.mechanism", "sasl.username", "sasl.password",
                         "ssl.ca.pem", "ssl.key.password", "fetch.max.bytes", "linger.ms"}) {
    INFO(ok);
    CHECK(CheckJobKafkaProperty(ok).ok());
  }
  for (const char* bad : {"sasl.kerberos.kinit.cmd", "plugin.library.paths", "ssl.engine.location",
                          "ssl.providers", "sasl.kerberos.keytab", "debug", "bootstrap.servers"}) {
    Status s = CheckJobKafkaProperty(bad);
    INFO(bad << ": " << s.ToString());
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message().find(std::string("'") + bad + "'") != std::string::npos);
  }
}

TEST_CASE("secret Kafka properties are redacted in conf values and SQL text", "[unit]") {
  CHECK(IsSecretKafkaProperty("sasl.password"));
  CHECK(IsSecretKafkaProperty("spate.kafka.ssl.key.password"));
  CHECK(IsSecretKafkaProperty("properties.ssl.key.pem"));
  CHECK(!IsSecretKafkaProperty("sasl.username"));
  CHECK(RedactedValue("spate.kafka.sasl.password", "hunter2") == kRedacted);
  CHECK(RedactedValue("spate.kafka.sasl.username", "alice") == "alice");
  const std::string sql =
      "CREATE TABLE t (x INT) WITH ('connector' = 'kafka', 'properties.sasl.username' = 'alice',\n"
      "  'properties.sasl.password'='it''s-secret', 'topic' = 'logs');";
  const std::string redacted = RedactSqlSecrets(sql);
  CHECK(redacted.find("it''s-secret") == std::string::npos);
  CHECK(redacted.find("secret") == std::string::npos);
  CHECK(redacted.find("'properties.sasl.password'='[redacted]'") != std::string::npos);
  CHECK(redacted.find("'properties.sasl.username' = 'alice'") != std::string::npos);
  CHECK(redacted.find("'topic' = 'logs'") != std::string::npos);
}

TEST_CASE("tools' --conf takes spate.kafka.KEY=VALUE", "[unit]") {
  auto props = ParseKafkaConfFlags(
      {"spate.kafka.security.protocol=SASL_SSL", "spate.kafka.sasl.password=a=b"});
  REQUIRE(props.ok());
  CHECK(props->at("security.protocol") == "SASL_SSL");
  CHECK(props->at("sasl.password") == "a=b");
  CHECK(!ParseKafkaConfFlags({"security.protocol=SASL_SSL"}).ok());
  CHECK(!ParseKafkaConfFlags({"spate.kafka.security.protocol"}).ok());
}

}  // namespace
}  // namespace spate
