#!/bin/sh
# Builds the Debian package with CPack, checks its control fields and
# contents, unpacks it with dpkg -x into a temporary root, and runs the
# packaged CLI and an example built against the packaged files (pkg-config).
#   test_deb.sh BUILD_DIR SOURCE_DIR CC
set -eu
build=$1 src=$2 cc=$3
model=$src/models/convbnrelu/model.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(find "$tmp/pkg" -maxdepth 1 -name 'onnxbn_*.deb' -print -quit)
[ -n "$deb" ] || fail "no onnxbn_*.deb produced"
echo "package: $(basename "$deb")"
[ "$(dpkg-deb -f "$deb" Package)" = onnxbn ] || fail "Package field"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for dep in libgomp1 libprotobuf-c1 libc6; do
    case $depends in *"$dep"*) ;; *) fail "Depends lacks $dep" ;; esac
done
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/contents"
for f in ./usr/bin/onnxbn ./usr/include/onnxbn.h ./usr/share/man/man1/onnxbn.1; do
    grep -qx "$f" "$tmp/contents" || fail "package lacks $f"
done
grep -q '/libonnxbn\.so\.0\.' "$tmp/contents" || fail "package lacks libonnxbn.so.0.*"
grep -q '/pkgconfig/onnxbn\.pc$' "$tmp/contents" || fail "package lacks onnxbn.pc"
grep -q '/cmake/onnxbn/onnxbnConfig\.cmake$' "$tmp/contents" || fail "package lacks the CMake package"

dpkg -x "$deb" "$tmp/root"
"$tmp/root/usr/bin/onnxbn" version || fail "the packaged CLI does not start"
"$tmp/root/usr/bin/onnxbn" run "$model" >"$tmp/run.out" 2>&1 || { cat "$tmp/run.out"; fail "packaged CLI run"; }
grep -q 'float \[1,8,16,16\]' "$tmp/run.out" || { cat "$tmp/run.out"; fail "packaged CLI output"; }
libdir=$(dirname "$(find "$tmp/root" -name libonnxbn.so -print -quit)")
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
"$cc" -o "$tmp/embed" "$src/examples/embed.c" $(pkg-config --cflags --libs onnxbn) -Wl,-rpath,"$libdir" ||
    fail "example does not build against the unpacked package"
"$tmp/embed" "$model" | grep -q '^output: float \[1,8,16,16\]' || fail "example built against the package"
echo "deb test passed"
