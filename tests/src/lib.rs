//! Tests of the three binaries working together, as they are installed: side by side in one
//! directory. The tests are in `tests/tests/`; this crate has no code of its own.
