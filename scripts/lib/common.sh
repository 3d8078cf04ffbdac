# Shared by scripts/run, scripts/test and scripts/bench: install what is missing, configure, build.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Debian 12 packages the build, the tests and the benchmark need. qt6-httpserver-dev does not pull
# qt6-websockets-dev in by itself although its CMake config requires it.
ORGANIZER_PACKAGES=(
    build-essential cmake ninja-build pkg-config git
    qt6-base-dev qt6-httpserver-dev qt6-websockets-dev libqt6sql6-sqlite libqt6sql6-psql
    postgresql haproxy
    qt6-webengine-dev libqt6webenginecore6-bin libqt6svg6 qt6-svg-dev fonts-dejavu-core
    libssl-dev libyaml-dev libgtest-dev googletest libhttp-parser-dev clang-format
    xvfb xauth wrk procps curl time systemd
    lintian desktop-file-utils appstream librsvg2-bin dpkg-dev fakeroot help2man init-system-helpers
    chromium libnss3-tools ca-certificates
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "installing packages needs root: run as root or install sudo"
    fi
}

ensure_packages() {
    local wanted=("${ORGANIZER_PACKAGES[@]}" "$@") missing=()
    # Node.js runs the interoperability test; any installed version >= 18 will do.
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)
    for package in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# The independent software the interop tests and the benchmark run, exactly as pinned in
# tests/interop/package-lock.json. Skipped when node_modules already matches the lock file.
ensure_interop_packages() {
    local interop="$ROOT/tests/interop"
    if ! cmp -s "$interop/package-lock.json" "$interop/node_modules/.organizer-lock" 2>/dev/null; then
        log "installing the interoperability tests' npm packages (npm ci)"
        (cd "$interop" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
        cp "$interop/package-lock.json" "$interop/node_modules/.organizer-lock"
    fi
}

# The one configuration scripts/run and scripts/test share, so switching between them never rebuilds.
ORGANIZER_CMAKE_ARGS=(-DORGANIZER_WERROR=ON -DORGANIZER_BUILD_TESTS=ON)

# build_tree DIR BUILD_TYPE [target…]: configure once, then rebuild incrementally (all targets by default).
build_tree() {
    local dir="$1" type="$2"; shift 2
    local targets=()
    for target in "$@"; do targets+=(--target "$target"); done
    log "building ($type) in ${dir#"$ROOT"/}"
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${ORGANIZER_CMAKE_ARGS[@]}" >/dev/null
    cmake --build "$dir" -j2 "${targets[@]}"
}
