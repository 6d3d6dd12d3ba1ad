#!/bin/sh
# Installs the ratesim binary from a GitHub release, no Rust toolchain needed:
#
#   curl -fsSL https://github.com/your-org/ratesim/releases/latest/download/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- --version v0.2.0 --to /usr/local/bin
#
# It picks the archive for this OS and CPU (static musl builds on Linux),
# checks its SHA-256 against the release's checksum file, and copies
# `ratesim` into --to (default: $RATESIM_INSTALL_DIR or ~/.local/bin).
# Environment: RATESIM_VERSION, RATESIM_INSTALL_DIR, RATESIM_REPO (owner/name),
# RATESIM_DOWNLOAD_URL (a mirror: the directory holding the release assets).
set -eu

repo="${RATESIM_REPO:-your-org/ratesim}"
version="${RATESIM_VERSION:-latest}"
to="${RATESIM_INSTALL_DIR:-${HOME}/.local/bin}"

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --version) [ $# -ge 2 ] || die "--version needs a value, e.g. v0.2.0"; version="$2"; shift 2 ;;
        --to) [ $# -ge 2 ] || die "--to needs a directory"; to="$2"; shift 2 ;;
        --repo) [ $# -ge 2 ] || die "--repo needs owner/name"; repo="$2"; shift 2 ;;
        -h | --help) sed -n '2,12p' "$0" 2>/dev/null || true; exit 0 ;;
        *) die "unknown argument '$1' (expected --version V, --to DIR, --repo OWNER/NAME)" ;;
    esac
done

os="$(uname -s)"
arch="$(uname -m)"
case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "no prebuilt ratesim for CPU '$arch'; build from source: cargo install --locked ratesim" ;;
esac
case "$os" in
    Linux) target="${arch}-unknown-linux-musl" ;;
    Darwin) target="${arch}-apple-darwin" ;;
    *) die "no prebuilt ratesim for '$os' (on Windows download the .zip from the release page)" ;;
esac

if [ -n "${RATESIM_DOWNLOAD_URL:-}" ]; then
    base="$RATESIM_DOWNLOAD_URL"
elif [ "$version" = latest ]; then
    base="https://github.com/${repo}/releases/latest/download"
else
    case "$version" in v*) ;; *) version="v${version}" ;; esac
    base="https://github.com/${repo}/releases/download/${version}"
fi

archive="ratesim-${target}.tar.gz"
tmp="$(mktemp -d 2>/dev/null || mktemp -d -t ratesim)"
trap 'rm -rf "$tmp"' EXIT INT TERM

fetch() {
    if command -v curl >/dev/null 2>&1; then
        curl --proto '=https,file' -fsSL "$1" -o "$2"
    elif command -v wget >/dev/null 2>&1; then
        wget -q "$1" -O "$2"
    else
        die "need curl or wget"
    fi
}

say "downloading ${base}/${archive}"
fetch "${base}/${archive}" "${tmp}/${archive}" || die "cannot download ${base}/${archive}"
fetch "${base}/${archive}.sha256" "${tmp}/${archive}.sha256" || die "cannot download the checksum ${base}/${archive}.sha256"

want="$(cut -d ' ' -f 1 <"${tmp}/${archive}.sha256")"
if command -v sha256sum >/dev/null 2>&1; then
    got="$(sha256sum "${tmp}/${archive}" | cut -d ' ' -f 1)"
elif command -v shasum >/dev/null 2>&1; then
    got="$(shasum -a 256 "${tmp}/${archive}" | cut -d ' ' -f 1)"
else
    die "need sha256sum or shasum to check the download"
fi
[ "$want" = "$got" ] || die "checksum mismatch for ${archive}: expected ${want}, got ${got}"

tar -xzf "${tmp}/${archive}" -C "$tmp"
bin="$(find "$tmp" -type f -name ratesim | head -n 1)"
[ -n "$bin" ] || die "${archive} holds no ratesim binary"
mkdir -p "$to"
cp "$bin" "${to}/ratesim.tmp.$$"
chmod 755 "${to}/ratesim.tmp.$$"
mv -f "${to}/ratesim.tmp.$$" "${to}/ratesim"

say "installed $("${to}/ratesim" --version) to ${to}/ratesim"
case ":${PATH}:" in
    *":${to}:"*) ;;
    *) say "add ${to} to your PATH, e.g. export PATH=\"${to}:\$PATH\"" ;;
esac
say "shell completions: ratesim completions bash|zsh|fish; man page: ratesim man"
