//! Empty on purpose: it exists so that `[build-dependencies]` in Cargo.toml can unify
//! syn's features with the Python package's (see the comment there), and the wheel build
//! reuses this crate's proc-macro builds.

fn main() {}
