#!/usr/bin/env bash
# Makes a test certificate authority and one certificate signed by it, with openssl, for
# Spate's TLS (gRPC between the master, workers and spate-submit; the HTTPS page) and for the
# test Kafka broker's TLS listener.
#
# Usage: scripts/gen-certs.sh DIR [NAME...]
#
#   DIR/ca.pem, DIR/ca.key       the CA (keep ca.key away from the cluster)
#   DIR/node.pem, DIR/node.key   a certificate for servers and clients alike (serverAuth and
#                                clientAuth), valid for localhost, 127.0.0.1 and every NAME
#                                (host names or IP addresses the processes are reached by,
#                                e.g. the compose service names master worker-1 worker-2)
#
# Existing files in DIR are replaced. Keys are unencrypted PKCS#8 PEM, mode 600. The
# certificates are valid for 825 days. For tests, demos and compose; a production cluster
# uses certificates from its own CA.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [NAME...]" >&2; exit 2; }
command -v openssl >/dev/null 2>&1 || { echo "gen-certs.sh: openssl not found" >&2; exit 1; }
dir=$1
shift
mkdir -p "$dir"
umask 077

san="DNS:localhost,IP:127.0.0.1"
for name in "$@"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
    san="$san,IP:$name"
  else
    san="$san,DNS:$name"
  fi
done

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 825 -subj "/CN=Spate test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$dir/ca.pem"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/node.key" 2>/dev/null
openssl req -new -key "$dir/node.key" -subj "/CN=spate-node" -out "$dir/node.csr"
cat >"$dir/node.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san
EXT
openssl x509 -req -in "$dir/node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 825 -sha256 -extfile "$dir/node.ext" -out "$dir/node.pem" 2>/dev/null
rm -f "$dir/node.csr" "$dir/node.ext" "$dir/ca.srl"
chmod 644 "$dir/ca.pem" "$dir/node.pem"
echo "gen-certs.sh: CA $dir/ca.pem, certificate $dir/node.pem (key $dir/node.key) for $san" >&2
