//! One module per command: load what it needs, call the library, add context to errors.

pub mod destroy;
pub mod explain;
pub mod inspect;
pub mod kill;
pub mod launch;
pub mod logs;
pub mod ps;
pub mod recover;
pub mod run;
pub mod serve;
pub mod update;
pub mod usage;
pub mod wait;
