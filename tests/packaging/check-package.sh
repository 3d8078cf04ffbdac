#!/usr/bin/env bash
# Packaging gates (run by ctest): build the .deb and .tar.gz from this build tree with CPack (as a
# user who cannot write outside the build tree, so nothing lands in the host's own directories), then
# lintian -I --pedantic is clean but for the justified overrides, the binaries carry Debian's hardening,
# the desktop entry and AppStream metainfo validate, the man pages list every option, the system unit
# rates <= 3.0 in systemd-analyze security and needs a tenant file, the maintainer scripts enable the
# service on install and purge its state, the package unpacks into a throwaway root whose binaries
# answer --version and --help, its organizer-server serves /healthz, and its organizer runs the demo.
# Usage: check-package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
source_dir="$2"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# An install() with an absolute destination would write into the build host's own directories:
# CPACK_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION makes cpack fail on it, and the host must be unchanged.
grep -q 'CPACK_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION "ON"' "$build/CPackConfig.cmake" || fail "cpack does not refuse absolute install destinations"
host_units=$(ls /lib/systemd/system/organizer-server.service /usr/lib/systemd/user/organizer-server.service 2>/dev/null || true)
(cd "$build" && cpack --config CPackConfig.cmake -B "$work/dist" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
[ "$(ls /lib/systemd/system/organizer-server.service /usr/lib/systemd/user/organizer-server.service 2>/dev/null || true)" = "$host_units" ] \
    || fail "building the packages wrote systemd units into this machine's /usr/lib/systemd"
deb=$(ls "$work"/dist/organizer_*_amd64.deb)
tgz=$(ls "$work"/dist/organizer_*_amd64.tar.gz)
echo "built $(basename "$deb") and $(basename "$tgz")"

version=$(sed -n 's/^project(Organizer VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version is not the project's ($version)"
dpkg-deb -f "$deb" Depends | grep -q libqt6sql6-sqlite || fail "Depends lacks libqt6sql6-sqlite"
dpkg-deb -f "$deb" Depends | grep -q 'libqt6webenginecore6 ' || fail "Depends lacks what dpkg-shlibdeps finds"

status=0
lintian --no-cfg -I --pedantic --fail-on error,warning,info,pedantic "$deb" >"$work/lintian.log" 2>&1 || status=$?
cat "$work/lintian.log"
[ "$status" -eq 0 ] && ! grep -q "^[EWIP]:" "$work/lintian.log" || fail "lintian -I --pedantic reports tags (exit $status)"
echo "lintian -I --pedantic: clean; overridden, each with its reason in the package: $(grep -c '^organizer:' "$source_dir/resources/packaging/lintian-overrides")"

# The tarball stays inside its own root: no absolute paths, the units staged under lib/systemd.
tar -tzf "$tgz" >"$work/tgz.list"
if grep -q '^/' "$work/tgz.list"; then fail "the .tar.gz has absolute paths"; fi
grep -q '/lib/systemd/system/organizer-server.service$' "$work/tgz.list" || fail "the .tar.gz lacks the system unit under its prefix"
grep -q '/lib/systemd/user/organizer-server.service$' "$work/tgz.list" || fail "the .tar.gz lacks the user unit under its prefix"

root="$work/root"
dpkg-deb -x "$deb" "$root"
desktop-file-validate "$root/usr/share/applications/organizer.desktop" || fail "desktop entry"
appstreamcli validate --no-net "$root/usr/share/metainfo/dev.organizer.Organizer.metainfo.xml" >/dev/null || fail "AppStream metainfo"
for file in usr/share/man/man1/organizer.1.gz usr/share/man/man1/organizer-server.1.gz usr/share/icons/hicolor/scalable/apps/organizer.svg \
            usr/share/icons/hicolor/48x48/apps/organizer.png usr/share/doc/organizer/copyright usr/share/organizer/tenant.json usr/share/organizer/qa-plan.json \
            usr/lib/systemd/system/organizer-server.service usr/lib/systemd/user/organizer-server.service; do
    [ -s "$root/$file" ] || fail "missing $file"
done
node -e "JSON.parse(require('fs').readFileSync(process.argv[1]))" "$root/usr/share/organizer/qa-plan.json" || fail "the QA plan is not JSON"
grep -q 'keys rotate' <<<"$(zcat "$root/usr/share/man/man1/organizer-server.1.gz")" || fail "man page"
# Every option each program takes is in its man page (help2man writes them from --help).
for program in organizer-server organizer; do
    page=$(zcat "$root/usr/share/man/man1/$program.1.gz" | sed 's/\\-/-/g; s/\\f[BIRP]//g')
    options=$(QT_QPA_PLATFORM=offscreen "$root/usr/bin/$program" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
    [ -n "$options" ] || fail "$program --help lists no options"
    for option in $options; do
        grep -q -- "$option" <<<"$page" || fail "the $program man page does not list $option"
    done
    echo "$program(1) lists all $(wc -w <<<"$options") options of --help"
done

# Debian's hardening (dpkg-buildflags): full RELRO with bind-now, PIE, stack protector, fortified calls.
for binary in usr/bin/organizer-server usr/bin/organizer; do
    grep -q GNU_RELRO <<<"$(readelf -lW "$root/$binary")" || fail "$binary: no RELRO"
    grep -q 'BIND_NOW\|FLAGS.*NOW' <<<"$(readelf -dW "$root/$binary")" || fail "$binary: not linked with -z now"
    grep -q 'DYN (' <<<"$(readelf -hW "$root/$binary")" || fail "$binary: not PIE"
    grep -q '__stack_chk_fail' <<<"$(readelf -sW --dyn-syms "$root/$binary")" || fail "$binary: no stack protector"
    grep -q '__[a-z]*_chk@' <<<"$(readelf -sW --dyn-syms "$root/$binary")" || fail "$binary: not built with _FORTIFY_SOURCE"
done
echo "hardened: RELRO, bind-now, PIE, stack protector, fortify"

# The system service: never the demo users by default, not on the user service's port, sandboxed.
unit="$root/usr/lib/systemd/system/organizer-server.service"
user_unit="$root/usr/lib/systemd/user/organizer-server.service"
grep -q '^ConditionPathExists=/etc/organizer/tenant.json$' "$unit" || fail "the system service starts without a tenant file"
grep -q -- '--config /etc/organizer/tenant.json' "$unit" || fail "the system service does not read /etc/organizer/tenant.json"
system_port=$(grep -o -- '--port [0-9]*' "$unit")
user_port=$(grep -o -- '--port [0-9]*' "$user_unit")
[ -n "$system_port" ] && [ -n "$user_port" ] && [ "$system_port" != "$user_port" ] || fail "the system and user services share a port ($system_port)"
exposure=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security gave no rating"
awk -v e="$exposure" 'BEGIN {exit !(e <= 3.0)}' || fail "systemd-analyze security rates the system service $exposure (> 3.0)"
echo "system service: exposure $exposure (<= 3.0), $system_port; user service $user_port"
# Without the tenant file the server says why it cannot start (what the system service would log).
if "$root/usr/bin/organizer-server" --port 0 --data-dir "$work/nodata" --config "$work/missing/tenant.json" >"$work/no-tenant.out" 2>&1; then
    fail "organizer-server started without its tenant file"
fi
grep -q "tenant: cannot read $work/missing/tenant.json" "$work/no-tenant.out" || fail "no clear message without a tenant file: $(cat "$work/no-tenant.out")"

"$root/usr/bin/organizer-server" --version | grep -q "$version" || fail "organizer-server --version"
"$root/usr/bin/organizer-server" --help | grep -q -- '--authority' || fail "organizer-server --help"
QT_QPA_PLATFORM=offscreen "$root/usr/bin/organizer" --version | grep -q "$version" || fail "organizer --version"
QT_QPA_PLATFORM=offscreen "$root/usr/bin/organizer" --help | grep -q -- '--demo' || fail "organizer --help"

"$root/usr/bin/organizer-server" --port 0 --data-dir "$work/data" >"$work/out" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$work/out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$work/out")
[ -n "$url" ] || fail "the packaged organizer-server did not start: $(cat "$work/server.log")"
curl -sf "${url}healthz" | grep -q '"status":"ok"' || fail "the packaged organizer-server does not serve /healthz"
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "packaged organizer-server serves ${url}healthz"

# The packaged app finds the packaged server next to it and runs the demo.
env -u DISPLAY HOME="$work/home" XDG_DATA_HOME="$work/home/data" XDG_CONFIG_HOME="$work/home/config" QTWEBENGINE_DISABLE_SANDBOX=1 \
    "$root/usr/bin/organizer" --demo >"$work/demo.txt" 2>&1 || { cat "$work/demo.txt"; fail "the packaged organizer's demo"; }
grep -q 'result: ok' "$work/demo.txt" || fail "demo report"
echo "packaged organizer runs the demo"

# The maintainer scripts, for real (this runs as root in CI): install enables the service through
# deb-systemd-helper, remove masks it, purge removes the enable state and /var/lib/organizer.
if [ "$(id -u)" -eq 0 ]; then
    if dpkg-query -W -f='${Status}' organizer 2>/dev/null | grep -q 'install ok installed'; then
        fail "an organizer package is installed on this machine already; not replacing it (remove it, or run elsewhere)"
    fi
    wants=/etc/systemd/system/multi-user.target.wants/organizer-server.service
    dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; dpkg --purge organizer >/dev/null 2>&1 || true; fail "dpkg -i"; }
    [ -L "$wants" ] || { dpkg --purge organizer >/dev/null 2>&1; fail "installing did not enable organizer-server.service"; }
    mkdir -p /var/lib/private/organizer && ln -sfn private/organizer /var/lib/organizer && touch /var/lib/private/organizer/organizer.sqlite
    dpkg --remove organizer >>"$work/dpkg.log" 2>&1 || fail "dpkg --remove"
    [ -e /var/lib/organizer/organizer.sqlite ] || fail "remove (not purge) deleted the service's data"
    dpkg --purge organizer >>"$work/dpkg.log" 2>&1 || fail "dpkg --purge"
    [ ! -e "$wants" ] && [ ! -L "$wants" ] || fail "purge left the enable link $wants"
    [ ! -e /var/lib/organizer ] && [ ! -L /var/lib/organizer ] && [ ! -e /var/lib/private/organizer ] || fail "purge left /var/lib/organizer"
    [ ! -e /var/lib/systemd/deb-systemd-helper-enabled/organizer-server.service.dsh-also ] || fail "purge left deb-systemd-helper's state"
    echo "maintainer scripts: install enables, remove keeps the data, purge removes it and the enable state"
else
    fail "the maintainer-script check installs the package for real and needs root (./scripts/test runs as root or with sudo)"
fi
echo "1 passed, 0 failed"
