//! The input end of the data path: a TaskInfo (and an optional ExecutorInfo) is decoded,
//! defaulted and checked into a [`prepare::LaunchSpec`] before anything is created, so bad
//! input never reaches the fetcher or Docker.
//!
//! - [`validate`]: the rules a TaskInfo and ExecutorInfo must meet, each problem naming its
//!   JSON path, the value and what to do;
//! - [`prepare`]: reading the files (or the values the operator API received), defaults
//!   (framework, agent and container ids) and the resulting [`prepare::LaunchSpec`].

pub mod prepare;
pub mod validate;
