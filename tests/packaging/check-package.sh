#!/usr/bin/env bash
# Packaging gates (run by ctest): build the .deb and .tar.gz from this build tree with CPack, then
# lintian reports no errors, the desktop entry and AppStream metainfo validate, the package unpacks
# into a throwaway root whose binaries answer --version and --help, its organizer-server serves
# /healthz, and its organizer runs the headless demo.
# Usage: check-package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
source_dir="$2"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack --config CPackConfig.cmake -B "$work/dist" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/dist/organizer_*_amd64.deb)
tgz=$(ls "$work"/dist/organizer_*_amd64.tar.gz)
echo "built $(basename "$deb") and $(basename "$tgz")"

version=$(sed -n 's/^project(Organizer VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version is not the project's ($version)"
dpkg-deb -f "$deb" Depends | grep -q libqt6sql6-sqlite || fail "Depends lacks libqt6sql6-sqlite"
dpkg-deb -f "$deb" Depends | grep -q 'libqt6webenginecore6 ' || fail "Depends lacks what dpkg-shlibdeps finds"

status=0
lintian --no-cfg "$deb" >"$work/lintian.log" 2>&1 || status=$?
cat "$work/lintian.log"
if grep -q "^E:" "$work/lintian.log" || [ "$status" -ne 0 ]; then fail "lintian reports errors (exit $status)"; fi
echo "lintian: no errors ($(grep -c '^W:' "$work/lintian.log" || true) warnings)"

root="$work/root"
dpkg-deb -x "$deb" "$root"
desktop-file-validate "$root/usr/share/applications/organizer.desktop" || fail "desktop entry"
appstreamcli validate --no-net "$root/usr/share/metainfo/dev.organizer.Organizer.metainfo.xml" >/dev/null || fail "AppStream metainfo"
for file in usr/share/man/man1/organizer.1.gz usr/share/man/man1/organizer-server.1.gz usr/share/icons/hicolor/scalable/apps/organizer.svg \
            usr/share/icons/hicolor/48x48/apps/organizer.png usr/share/doc/organizer/copyright usr/share/organizer/tenant.json usr/share/organizer/qa-plan.json \
            lib/systemd/system/organizer-server.service usr/lib/systemd/user/organizer-server.service; do
    [ -s "$root/$file" ] || fail "missing $file"
done
node -e "JSON.parse(require('fs').readFileSync(process.argv[1]))" "$root/usr/share/organizer/qa-plan.json" || fail "the QA plan is not JSON"
zcat "$root/usr/share/man/man1/organizer-server.1.gz" | grep -q 'keys rotate' || fail "man page"
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze verify --man=no "$root/lib/systemd/system/organizer-server.service" 2>&1 | grep -v 'organizer-server: command not found\|is not executable' || true
fi

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
echo "1 passed, 0 failed"
