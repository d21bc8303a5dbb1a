//! The bodies of the fuzz targets in `fuzz/fuzz_targets/`, as plain functions of the input
//! bytes. A target panics when the input makes the code under test break one of the
//! properties it checks (a panic in the code itself, a round trip that does not come back,
//! a file written outside the sandbox); returning means the input was handled.
//!
//! cargo-fuzz runs them under libFuzzer on the nightly toolchain (`scripts/fuzz`); the test
//! `tests/corpora.rs` runs every committed input of `fuzz/corpus/<target>` and
//! `fuzz/regressions/<target>` through the same functions on the stable toolchain, so a crash
//! once found stays fixed.

pub mod archive;
pub mod executor_json;
pub mod fetcher_info;
pub mod flags;
pub mod libprocess_wire;
pub mod proto;
pub mod recordio;
pub mod sandbox_path;
pub mod task_launch;

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target: its name (the file `fuzz/fuzz_targets/<name>.rs` and the corpus directory)
/// and its body.
pub const TARGETS: &[(&str, Target)] = &[
    ("archive", archive::run),
    ("executor_json", executor_json::run),
    ("fetcher_info", fetcher_info::run),
    ("flags", flags::run),
    ("libprocess_wire", libprocess_wire::run),
    ("proto", proto::run),
    ("recordio", recordio::run),
    ("sandbox_path", sandbox_path::run),
    ("task_launch", task_launch::run),
];
