#!/bin/sh
# Installs onnxbn into a temporary prefix and builds examples/embed.c against
# the installed files only, four ways: pkg-config (shared), pkg-config
# --static, and find_package(onnxbn) with onnxbn::onnxbn and
# onnxbn::onnxbn_static. Each program runs the bundled model and must print
# what the in-tree build of the same example prints. The custom-operator
# plugin (examples/custom_op) is built with pkg-config and with
# find_package too, and runs the models make_model.py writes through the
# installed CLI and through run_custom_op, and the installed Python package
# runs the bundled model and the plugin (when PYTHON has onnx and numpy).
# The prefix is then moved and used again: nothing installed points at an
# absolute path.
#   test_install.sh BUILD_DIR SOURCE_DIR REFERENCE_EMBED CC PYTHON
set -eu
build=$1 src=$2 ref_embed=$3 cc=$4 python=$5
model=$src/models/convbnrelu/model.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
prefix=$tmp/prefix
libdir=$(dirname "$(find "$prefix" -name libonnxbn.so -print -quit)")
[ -n "$libdir" ] || fail "no libonnxbn.so installed"
for f in "$libdir/libonnxbn.a" "$libdir/pkgconfig/onnxbn.pc" "$libdir/cmake/onnxbn/onnxbnConfig.cmake" \
         "$prefix/include/onnxbn.h" "$prefix/bin/onnxbn" "$prefix/share/man/man1/onnxbn.1" \
         "$prefix/lib/python3/dist-packages/onnxbn/__init__.py"; do
    [ -e "$f" ] || fail "not installed: ${f#"$prefix"/}"
done
[ "$(readlink "$libdir/libonnxbn.so")" = libonnxbn.so.0 ] || fail "libonnxbn.so does not point at libonnxbn.so.0"
echo "installed: $(cd "$prefix" && find . -type f -o -type l | sort | tr '\n' ' ')"

"$ref_embed" "$model" >"$tmp/expected" || fail "the in-tree example fails"
models=""
if "$python" -c 'import onnx, numpy' 2>/dev/null; then
    models=$tmp/models
    "$python" "$src/examples/custom_op/make_model.py" "$models" || fail "make_model.py"
fi

# the plugin through the installed CLI: both models must match numpy's outputs
check_plugin() {
    [ -n "$models" ] || return 0
    "$1" test --plugin "$2" "$models" >"$tmp/plugin.out" 2>&1 || { cat "$tmp/plugin.out"; fail "$3: onnxbn test --plugin"; }
    grep -qx '2 passed, 0 failed, 0 skipped' "$tmp/plugin.out" || { cat "$tmp/plugin.out"; fail "$3: plugin models"; }
    echo "ok: $3"
}

# builds and runs the example; $1 names the variant, the rest are cc arguments
check_pc() {
    name=$1; shift
    "$cc" -Wall -Wextra -o "$tmp/$name" "$src/examples/embed.c" "$@" || fail "$name: does not build"
    "$tmp/$name" "$model" >"$tmp/$name.out" || fail "$name: does not run"
    cmp -s "$tmp/expected" "$tmp/$name.out" || { diff "$tmp/expected" "$tmp/$name.out"; fail "$name: output differs"; }
    echo "ok: $name: $(head -1 "$tmp/$name.out" | cut -c1-60)"
}

build_all() {
    prefix=$1 tag=$2
    libdir=$(dirname "$(find "$prefix" -name libonnxbn.so -print -quit)")
    export PKG_CONFIG_PATH="$libdir/pkgconfig"
    pkg-config --exists onnxbn || fail "pkg-config does not find onnxbn"
    # shellcheck disable=SC2046
    check_pc "pkgconfig_shared$tag" $(pkg-config --cflags --libs onnxbn) -Wl,-rpath,"$libdir"
    readelf -d "$tmp/pkgconfig_shared$tag" | grep -q 'NEEDED.*libonnxbn.so.0' || fail "not linked to libonnxbn.so.0"
    # the static archive by name, its private dependencies from --static
    libs=$(pkg-config --static --libs onnxbn | sed 's/-lonnxbn\b/-l:libonnxbn.a/')
    # shellcheck disable=SC2046,SC2086
    check_pc "pkgconfig_static$tag" $(pkg-config --cflags onnxbn) $libs
    ! readelf -d "$tmp/pkgconfig_static$tag" | grep -q 'NEEDED.*libonnxbn' || fail "static build needs libonnxbn.so"
    # shellcheck disable=SC2046
    "$cc" -Wall -Wextra -shared -fPIC -o "$tmp/libmyops_pc$tag.so" "$src/examples/custom_op/myops.c" \
        $(pkg-config --cflags --libs onnxbn) -lm || fail "plugin does not build with pkg-config"
    check_plugin "$prefix/bin/onnxbn" "$tmp/libmyops_pc$tag.so" "plugin_pkgconfig$tag"

    cmake -S "$src/examples" -B "$tmp/cmake$tag" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
        >"$tmp/cmake$tag.log" 2>&1 || { cat "$tmp/cmake$tag.log"; fail "find_package(onnxbn) fails"; }
    cmake --build "$tmp/cmake$tag" >"$tmp/build$tag.log" 2>&1 || { cat "$tmp/build$tag.log"; fail "examples do not build"; }
    for exe in embed embed_static; do
        [ -x "$tmp/cmake$tag/$exe" ] || fail "find_package: $exe was not built"
        "$tmp/cmake$tag/$exe" "$model" >"$tmp/$exe$tag.out" || fail "find_package: $exe does not run"
        cmp -s "$tmp/expected" "$tmp/$exe$tag.out" || fail "find_package: $exe output differs"
        echo "ok: cmake_$exe$tag"
    done
    check_plugin "$prefix/bin/onnxbn" "$tmp/cmake$tag/libmyops.so" "plugin_cmake$tag"
    if [ -n "$models" ]; then
        for v in const dynamic; do
            "$tmp/cmake$tag/run_custom_op" "$tmp/cmake$tag/libmyops.so" "$models/custom_op_$v" >"$tmp/rco.out" ||
                { cat "$tmp/rco.out"; fail "find_package: run_custom_op $v"; }
        done
        echo "ok: cmake_run_custom_op$tag"
    fi
    "$prefix/bin/onnxbn" run "$model" >"$tmp/cli$tag.out" 2>&1 || { cat "$tmp/cli$tag.out"; fail "installed CLI fails"; }
    used=$(ldd "$prefix/bin/onnxbn" | sed -n 's/.*libonnxbn.so.0 => \([^ ]*\) .*/\1/p')
    [ "$(readlink -f "$used")" = "$(readlink -f "$libdir/libonnxbn.so.0")" ] ||
        fail "installed CLI uses '$used', not the installed library"
    echo "ok: installed CLI$tag"
    [ -n "$models" ] || return 0
    # the installed Python package finds the library installed with it
    pydir=$prefix/lib/python3/dist-packages
    used=$(cd "$tmp" && env -u ONNXBN_LIBRARY PYTHONPATH="$pydir" "$python" -c 'import onnxbn; print(onnxbn.library_path)')
    [ "$(readlink -f "$used")" = "$(readlink -f "$libdir/libonnxbn.so.0")" ] ||
        fail "installed Python package uses '$used', not the installed library"
    (cd "$tmp" && env -u ONNXBN_LIBRARY PYTHONPATH="$pydir" "$python" "$src/tests/python/test_python_api.py" \
        "$prefix/bin/onnxbn" "$model" "$tmp/cmake$tag/libmyops.so" "$models") >"$tmp/py$tag.out" 2>&1 ||
        { cat "$tmp/py$tag.out"; fail "installed Python package"; }
    echo "ok: python$tag"
}

build_all "$prefix" ""
mv "$tmp/prefix" "$tmp/moved"
rm -rf "$tmp/cmake"
build_all "$tmp/moved" "_moved"
echo "install test passed"
