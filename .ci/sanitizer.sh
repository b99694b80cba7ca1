# Sourced by .ci/asan and .ci/tsan: the nightly check, and `nightly`, cargo
# on the nightly toolchain with a sanitizer's flags for the host target.
#   sanitizer_setup NAME SANITIZER TARGET_DIR [CARGO_FLAG...]
# Frame pointers as in .cargo/config.toml (which these flags replace): the
# native stacks inprof walks need them. Only the target's code gets the
# sanitizer (with --target, proc macros and build scripts do not); the
# flags go by --config, which the cargo builds that tests start do not
# inherit (a RUSTFLAGS would reach them).
sanitizer_setup() {
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        echo "$1: needs a nightly toolchain (rustup toolchain install nightly)" >&2
        exit 2
    fi
    san_triple=$(rustc -vV | sed -n 's/^host: //p')
    san_flags="[\"-Zsanitizer=$2\",\"-Cforce-frame-pointers=yes\",\"-Cdebuginfo=1\"]"
    san_dir=target/$3
    san_cargo=("${@:4}")
}

nightly() {
    local cmd=$1
    shift
    cargo +nightly "$cmd" "${san_cargo[@]}" --all-features --target "$san_triple" \
        --target-dir "$san_dir" --config "target.$san_triple.rustflags=$san_flags" "$@"
}
