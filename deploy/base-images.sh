#!/usr/bin/env bash
# Makes the base images deploy/Dockerfile builds on, `debian:bookworm` and
# `debian:bookworm-slim`, when the Docker daemon does not have them yet. Where an image
# registry is reachable, `docker pull debian:bookworm debian:bookworm-slim` does the same
# and this script then does nothing; where none is (our CI machines), it bootstraps them with
# Debian's debootstrap from the Debian mirror and `docker import`s the root file systems.
#
# Usage: deploy/base-images.sh [IMAGE...]    (uses DOCKER_HOST like docker does)
#   IMAGE: debian:bookworm, debian:bookworm-slim (default: both). The `prebuilt` target of
#   deploy/Dockerfile and the Kafka image need only debian:bookworm-slim.
#
# Environment:
#   SPATE_DEBIAN_MIRROR   mirror for debootstrap (default http://deb.debian.org/debian)
#   SPATE_BASE_WORK       scratch directory for the root file systems (default: mktemp -d)
#   SPATE_BASE_CACHE      directory of `docker save` tarballs of the images made here, so that
#                         a new daemon (a wiped data root) on the same machine loads them in
#                         seconds instead of bootstrapping again (default
#                         ~/.cache/spate/base-images; empty: no cache). A tarball older than
#                         SPATE_BASE_CACHE_DAYS (default 7) is ignored, so that Debian's updates
#                         come in; one that does not load is ignored too.
#
# `debian:bookworm` is debootstrap's default variant (apt, with the "important" packages);
# `debian:bookworm-slim` is the minbase variant (essential packages and apt only). Both get
# the apt settings of the official images (no recommends, no documentation, apt lists
# cleaned), which keeps them near the official ones in size and behaviour.
set -euo pipefail

say() { echo "base-images.sh: $*" >&2; }
die() { say "$*"; exit 1; }

command -v docker >/dev/null 2>&1 || die "docker not found: run deploy/install-deps.sh"
docker info >/dev/null 2>&1 || die "no Docker daemon answers (start one: deploy/dockerd.sh start)"

mirror="${SPATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

tags=("$@")
[ ${#tags[@]} -eq 0 ] && tags=(debian:bookworm debian:bookworm-slim)
# The missing ones, as pairs: tag variant.
want=()
for tag in "${tags[@]}"; do
  case "$tag" in
    debian:bookworm) variant="" ;;
    debian:bookworm-slim) variant=minbase ;;
    *) die "unknown base image $tag (debian:bookworm or debian:bookworm-slim)" ;;
  esac
  docker image inspect "$tag" >/dev/null 2>&1 || want+=("$tag" "$variant")
done
if [ ${#want[@]} -eq 0 ]; then
  say "${tags[*]} there"
  exit 0
fi

cache="${SPATE_BASE_CACHE-${XDG_CACHE_HOME:-$HOME/.cache}/spate/base-images}"
cache_days="${SPATE_BASE_CACHE_DAYS:-7}"
# cache_file TAG: TAG's tarball in the cache (debian:bookworm-slim -> debian_bookworm-slim.tar).
cache_file() { echo "$cache/$(echo "$1" | tr ':/' '__').tar"; }

# Images found in the cache need no bootstrap: keep only those that do not load.
if [ -n "$cache" ]; then
  left=()
  i=0
  while [ $i -lt ${#want[@]} ]; do
    tag="${want[$i]}"
    variant="${want[$((i + 1))]}"
    i=$((i + 2))
    f=$(cache_file "$tag")
    if [ -f "$f" ] && [ -n "$(find "$f" -mtime "-$cache_days" 2>/dev/null)" ]; then
      start=$SECONDS
      if docker load -i "$f" >/dev/null 2>&1 && docker image inspect "$tag" >/dev/null 2>&1; then
        say "$tag loaded from $f in $((SECONDS - start)) s"
        continue
      fi
      say "could not load $tag from $f; bootstrapping it"
    fi
    left+=("$tag" "$variant")
  done
  want=("${left[@]+"${left[@]}"}")
  [ ${#want[@]} -eq 0 ] && exit 0
fi

command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found: run deploy/install-deps.sh"
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"

work="${SPATE_BASE_WORK:-}"
own_work=0
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/spate-base.XXXXXX")
  own_work=1
fi
cleanup() {
  # debootstrap may leave /proc or /sys mounted inside a root when it fails.
  grep -F " $work/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done || true
  [ "$own_work" = 1 ] && rm -rf "$work"
  return 0
}
trap cleanup EXIT

i=0
while [ $i -lt ${#want[@]} ]; do
  tag="${want[$i]}"
  variant="${want[$((i + 1))]}"
  i=$((i + 2))
  root="$work/${tag#debian:}"
  rm -rf "$root"
  start=$SECONDS
  say "bootstrapping $tag (variant ${variant:-default}) from $mirror"
  vargs=()
  [ -n "$variant" ] && vargs+=("--variant=$variant")
  if ! debootstrap "${vargs[@]}" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    die "debootstrap of $tag failed"
  fi
  # The settings of Debian's official images: small, quiet apt.
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CONF
  cat >"$root/etc/apt/apt.conf.d/docker-no-recommends" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
CONF
  cat >"$root/etc/apt/apt.conf.d/docker-gzip-indexes" <<'CONF'
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
CONF
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-nodoc" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CONF
  # The same sources as the official image: the release, its updates and security.
  cat >"$root/etc/apt/sources.list" <<CONF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
CONF
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
  : >"$root/etc/hostname"
  : >"$root/etc/resolv.conf"
  tar -C "$root" --numeric-owner -c . |
    docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' \
      --message "debootstrap ${variant:-default} bookworm from $mirror" - "$tag" >/dev/null
  rm -rf "$root"
  say "$tag imported in $((SECONDS - start)) s ($(docker image inspect -f '{{.Size}}' "$tag" |
    awk '{printf "%.0f MB", $1 / 1e6}'))"
  # The cache is an optimisation only: a failure to write it is not an error.
  if [ -n "$cache" ]; then
    f=$(cache_file "$tag")
    if mkdir -p "$cache" 2>/dev/null && docker save -o "$f.tmp.$$" "$tag" 2>/dev/null &&
      mv -f "$f.tmp.$$" "$f"; then
      say "$tag saved to $f"
    else
      rm -f "$f.tmp.$$"
      say "could not save $tag to $cache (no cache for the next run)"
    fi
  fi
done
