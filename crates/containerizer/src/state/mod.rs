//! What the containerizer keeps on disk, so a restart can pick up where it left off.
//!
//! - [`paths`]: where things live under the work dir (`meta/`, `sandboxes/`, the fetcher
//!   cache);
//! - [`checkpoint`]: crash-safe writes (temp file, fsync, rename, fsync the directory) and
//!   append-only JSON lines;
//! - [`record`]: the checkpointed record of one container (`state.json`) and how it ended.

pub mod checkpoint;
pub mod paths;
pub mod record;
