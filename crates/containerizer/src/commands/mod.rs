//! One module per command: load what it needs, call the library, add context to errors.

pub mod explain;
pub mod run;
