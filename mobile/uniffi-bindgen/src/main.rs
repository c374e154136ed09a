//! `uniffi-bindgen` at the workspace's pinned uniffi version (see `cargo xtask bindings`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
