//! Garbage collection of ended containers, as the Mesos agent collects executor
//! directories: the sandbox (`<work_dir>/sandboxes/<ID>`) and the checkpoints
//! (`<work_dir>/meta/containers/<ID>`) of a container that ended are removed `--gc_delay`
//! after its end, or sooner when the disk fills: every `--disk_watch_interval` the disk
//! usage of the work dir's file system sets the age beyond which ended containers go,
//!
//! ```text
//! age = gc_delay * max(0.0, 1.0 - gc_disk_headroom - disk usage)
//! ```
//!
//! (Mesos's formula; at usage `1 - gc_disk_headroom` or more every ended container goes).
//!
//! The schedule is read from the checkpoints at every pass, not kept in memory: a
//! container's end is its `state.json` (`TERMINATED`, with `ended_at`), so a restart of
//! `serve` changes nothing, and the containers a `run` left in the same work dir are
//! collected too. A container whose checkpoint does not say it ended is never touched, nor
//! is anything without a checkpoint (a sandbox being created right now has none yet), nor
//! any docker container (`--docker_remove_delay` removes those).
//!
//! Removal renames the checkpoint directory, then the sandbox, into `<work_dir>/gc_trash/`
//! and deletes them there: a launch racing for the same ContainerID sees the id taken until
//! both are gone from their places, and a crash mid-deletion leaves only the trash, emptied
//! by the next pass. Symlinks inside a sandbox are removed, never followed.

use crate::docker_containerizer::DockerContainerizer;
use crate::state::checkpoint;
use crate::state::paths::WorkDir;
use crate::state::record::{now, ContainerRecord, ContainerState};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Mesos's `--gc_delay` default.
pub const DEFAULT_GC_DELAY: &str = "1weeks";
/// Mesos's `--disk_watch_interval` default.
pub const DEFAULT_DISK_WATCH_INTERVAL: &str = "1mins";
/// Mesos's `--gc_disk_headroom` default.
pub const DEFAULT_GC_DISK_HEADROOM: &str = "0.1";

/// Newly ended containers are looked for at least this often when the allowed age is
/// shorter (a full disk makes it zero).
const MIN_PASS: f64 = 1.0;

/// The trash directory under the work dir.
pub const TRASH_DIR: &str = "gc_trash";

/// How garbage collection runs (`serve`'s flags).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcConfig {
    pub gc_delay: Duration,
    pub disk_watch_interval: Duration,
    pub gc_disk_headroom: f64,
}

/// The age beyond which ended containers are removed at disk usage `usage` (0..=1):
/// `gc_delay * max(0, 1 - headroom - usage)`.
pub fn max_allowed_age(gc_delay: Duration, headroom: f64, usage: f64) -> Duration {
    let factor = (1.0 - headroom - usage).clamp(0.0, 1.0);
    gc_delay.mul_f64(if factor.is_nan() { 0.0 } else { factor })
}

/// The used fraction of the file system holding `path`, as Mesos computes it:
/// `(blocks - free blocks) / blocks` (blocks reserved for root count as used).
pub fn disk_usage(path: &Path) -> io::Result<f64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: statvfs fills a zeroed struct through a valid pointer; `c` is NUL-terminated.
    let mut buf: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut buf) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if buf.f_blocks == 0 {
        return Ok(0.0);
    }
    Ok((buf.f_blocks - buf.f_bfree) as f64 / buf.f_blocks as f64)
}

/// A container whose checkpoint says it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Ended {
    pub container_id: String,
    /// When it ended (seconds since the epoch).
    pub ended_at: f64,
}

/// The containers of `work` whose `state.json` says they ended. An unreadable or unfinished
/// checkpoint is skipped (left alone).
pub fn ended_containers(work: &WorkDir) -> io::Result<Vec<Ended>> {
    let entries = match std::fs::read_dir(work.containers_dir()) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some(id) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if crate::task::validate::container_id(&id).is_err() {
            continue;
        }
        let state = work.container_meta(&id).state();
        let record = match checkpoint::read_json::<ContainerRecord>(&state) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                tracing::debug!(container_id = %id, error = %e, "gc: unreadable checkpoint; left alone");
                continue;
            }
        };
        if record.state != ContainerState::Terminated || record.container_id != id {
            continue;
        }
        // Records written before `ended_at` existed: the time of their last write.
        let ended_at = record.ended_at.unwrap_or_else(|| {
            std::fs::metadata(&state)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs_f64())
                .unwrap_or(record.launched_at)
        });
        out.push(Ended {
            container_id: id,
            ended_at,
        });
    }
    out.sort_by(|a, b| a.container_id.cmp(&b.container_id));
    Ok(out)
}

/// What one pass does with the ended containers.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The containers to remove now: ended at least `max_age` ago.
    pub due: Vec<String>,
    /// The others.
    pub waiting: Vec<String>,
    /// When the next of the others is due (seconds since the epoch).
    pub next_due: Option<f64>,
}

/// Splits `ended` at `now` by the allowed age `max_age` (seconds).
pub fn plan(ended: &[Ended], now: f64, max_age: f64) -> Plan {
    let mut p = Plan {
        due: Vec::new(),
        waiting: Vec::new(),
        next_due: None,
    };
    for e in ended {
        let due_at = e.ended_at + max_age;
        if now >= due_at {
            p.due.push(e.container_id.clone());
        } else {
            p.waiting.push(e.container_id.clone());
            p.next_due = Some(p.next_due.map_or(due_at, |d: f64| d.min(due_at)));
        }
    }
    p
}

/// When the pass after one at `now` should run: when the next known container is due, at
/// the next disk check, and no later than a newly ended container can be due.
pub fn next_pass(now: f64, plan_next_due: Option<f64>, next_disk_check: f64, max_age: f64) -> f64 {
    let mut wake = next_disk_check.min(now + max_age.max(MIN_PASS));
    if let Some(due) = plan_next_due {
        wake = wake.min(due);
    }
    wake.max(now)
}

fn trash_dir(work: &WorkDir) -> PathBuf {
    work.root().join(TRASH_DIR)
}

/// Deletes whatever an interrupted pass left in the trash.
fn empty_trash(work: &WorkDir) {
    let Ok(entries) = std::fs::read_dir(trash_dir(work)) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let removed = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if let Err(e) = removed {
            tracing::debug!(path = %path.display(), error = %e, "gc: cannot empty the trash yet");
        }
    }
}

/// Removes the checkpoints and the sandbox of the ended container `id`, then forgets it.
fn collect(cz: &DockerContainerizer, id: &str) {
    if cz.get(id).is_some_and(|c| c.termination().is_none()) {
        return;
    }
    let work = &cz.context().work;
    let trash = trash_dir(work);
    if let Err(e) = std::fs::create_dir_all(&trash) {
        tracing::warn!(path = %trash.display(), error = %e, "gc: cannot create the trash directory");
        return;
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // Checkpoints first: until the sandbox is gone too, the id stays taken.
    let meta = work.container_meta(id);
    let mut moved = Vec::new();
    for (dir, kind) in [
        (meta.dir().to_path_buf(), "meta"),
        (work.sandbox(id), "sandbox"),
    ] {
        if !dir.exists() {
            continue;
        }
        tracing::info!(container_id = id, path = %dir.display(), "Deleting");
        let target = trash.join(format!("{id}.{kind}.{stamp}"));
        match std::fs::rename(&dir, &target) {
            Ok(()) => moved.push((dir, target)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            // Another file system (or a mount): deleted in place.
            Err(_) => moved.push((dir.clone(), dir)),
        }
    }
    cz.forget_ended(id);
    for (original, path) in moved {
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {
                tracing::info!(container_id = id, path = %original.display(), "Deleted");
                cz.metrics().gc_removed(true);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(container_id = id, path = %original.display(), error = %e, "Failed to delete");
                cz.metrics().gc_removed(false);
            }
        }
    }
}

/// The paths a waiting container holds.
fn paths_of(work: &WorkDir, id: &str) -> u64 {
    u64::from(work.container_meta(id).dir().exists()) + u64::from(work.sandbox(id).exists())
}

/// One pass over the work dir: removes what is due; returns the plan.
fn pass(cz: &DockerContainerizer, max_age: f64) -> Plan {
    let work = &cz.context().work;
    empty_trash(work);
    let ended = match ended_containers(work) {
        Ok(ended) => ended,
        Err(e) => {
            tracing::warn!(error = %e, "gc: cannot read the checkpoints");
            Vec::new()
        }
    };
    let plan = plan(&ended, now(), max_age);
    if !plan.due.is_empty() {
        tracing::info!(
            containers = plan.due.len(),
            max_age_secs = max_age,
            "Pruning the sandboxes of containers that ended at least the allowed age ago"
        );
    }
    for id in &plan.due {
        collect(cz, id);
    }
    let pending = plan.waiting.iter().map(|id| paths_of(work, id)).sum();
    cz.metrics().gc_state(pending, max_age);
    plan
}

/// Collects garbage until the process ends (run as a task of `serve`).
pub async fn run(cz: Arc<DockerContainerizer>, config: GcConfig) {
    let interval = config.disk_watch_interval.as_secs_f64();
    let mut max_age = config.gc_delay.as_secs_f64();
    let mut next_disk_check = now();
    tracing::info!(gc_delay = ?config.gc_delay, disk_watch_interval = ?config.disk_watch_interval,
        gc_disk_headroom = config.gc_disk_headroom, "garbage collection of ended containers");
    loop {
        let started = now();
        if started >= next_disk_check {
            let root = cz.context().work.root().to_path_buf();
            match tokio::task::spawn_blocking(move || disk_usage(&root)).await {
                Ok(Ok(usage)) => {
                    max_age = max_allowed_age(config.gc_delay, config.gc_disk_headroom, usage)
                        .as_secs_f64();
                    tracing::debug!(
                        "Current disk usage {:.2}%. Max allowed age: {:?}",
                        usage * 100.0,
                        Duration::from_secs_f64(max_age)
                    );
                }
                Ok(Err(e)) => tracing::error!(error = %e, "Failed to get disk usage"),
                Err(e) => tracing::error!(error = %e, "Failed to get disk usage"),
            }
            next_disk_check = started + interval;
        }
        let worker = cz.clone();
        let plan = match tokio::task::spawn_blocking(move || pass(&worker, max_age)).await {
            Ok(plan) => plan,
            Err(e) => {
                tracing::error!(error = %e, "gc: a pass failed");
                plan(&[], started, max_age)
            }
        };
        let wake = next_pass(now(), plan.next_due, next_disk_check, max_age);
        tokio::time::sleep(Duration::from_secs_f64((wake - now()).max(0.0))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

    #[test]
    fn the_age_shrinks_as_the_disk_fills() {
        assert_eq!(max_allowed_age(WEEK, 0.1, 0.0), WEEK.mul_f64(0.9));
        assert_eq!(max_allowed_age(WEEK, 0.1, 0.5), WEEK.mul_f64(0.4));
        assert_eq!(max_allowed_age(WEEK, 0.1, 0.9), Duration::ZERO);
        assert_eq!(max_allowed_age(WEEK, 0.1, 0.95), Duration::ZERO);
        assert_eq!(max_allowed_age(WEEK, 0.0, 0.0), WEEK);
        assert_eq!(max_allowed_age(WEEK, 1.0, 0.0), Duration::ZERO);
        assert_eq!(max_allowed_age(WEEK, 0.1, f64::NAN), Duration::ZERO);
    }

    #[test]
    fn a_plan_takes_exactly_those_old_enough() {
        let ended = vec![
            Ended {
                container_id: "old".into(),
                ended_at: 100.0,
            },
            Ended {
                container_id: "edge".into(),
                ended_at: 150.0,
            },
            Ended {
                container_id: "new".into(),
                ended_at: 190.0,
            },
            Ended {
                container_id: "newer".into(),
                ended_at: 195.0,
            },
        ];
        let p = plan(&ended, 200.0, 50.0);
        assert_eq!(p.due, vec!["old", "edge"]);
        assert_eq!(p.waiting, vec!["new", "newer"]);
        assert_eq!(p.next_due, Some(240.0));
        let p = plan(&ended, 200.0, 0.0);
        assert_eq!(p.due.len(), 4);
        assert_eq!(p.next_due, None);
    }

    #[test]
    fn passes_come_when_something_can_be_due() {
        // The next known container is due first.
        assert_eq!(next_pass(100.0, Some(105.0), 160.0, 3600.0), 105.0);
        // The next disk check.
        assert_eq!(next_pass(100.0, None, 160.0, 3600.0), 160.0);
        // A container ending right after this pass is due `max_age` from now.
        assert_eq!(next_pass(100.0, None, 160.0, 5.0), 105.0);
        // With no age left, still not a busy loop.
        assert_eq!(next_pass(100.0, None, 160.0, 0.0), 101.0);
        // Never in the past.
        assert_eq!(next_pass(100.0, Some(90.0), 160.0, 5.0), 100.0);
    }

    #[test]
    fn only_checkpoints_that_say_ended_are_collected() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::new(dir.path());
        let record = |id: &str, state: ContainerState, ended_at: Option<f64>| ContainerRecord {
            container_id: id.into(),
            agent_id: "a".into(),
            framework_id: "f".into(),
            executor_id: "e".into(),
            task_id: "t".into(),
            container_name: format!("mesos-{id}"),
            state,
            executor_pid: None,
            executor_start_time: None,
            executor_container: None,
            launched_at: 1.0,
            owner_pid: None,
            owner_start_time: None,
            ended_at,
            termination: None,
        };
        let write = |id: &str, r: &ContainerRecord| {
            checkpoint::write_json(&work.container_meta(id).state(), r).unwrap();
        };
        write(
            "ended",
            &record("ended", ContainerState::Terminated, Some(42.0)),
        );
        write("running", &record("running", ContainerState::Running, None));
        write("pulling", &record("pulling", ContainerState::Pulling, None));
        write("old", &record("old", ContainerState::Terminated, None));
        // A record of another id under this name, and a name no ContainerID has.
        write(
            "moved",
            &record("other", ContainerState::Terminated, Some(1.0)),
        );
        write(
            "bad.name",
            &record("bad.name", ContainerState::Terminated, Some(1.0)),
        );
        std::fs::create_dir_all(work.container_meta("empty").dir()).unwrap();
        std::fs::create_dir_all(work.container_meta("torn").dir()).unwrap();
        std::fs::write(work.container_meta("torn").state(), "{").unwrap();
        let ended = ended_containers(&work).unwrap();
        let ids: Vec<&str> = ended.iter().map(|e| e.container_id.as_str()).collect();
        assert_eq!(ids, vec!["ended", "old"]);
        assert_eq!(ended[0].ended_at, 42.0);
        // Without `ended_at`: the time state.json was written.
        assert!(ended[1].ended_at > 1_000_000_000.0);
    }

    #[test]
    fn disk_usage_is_a_fraction() {
        let u = disk_usage(Path::new("/")).unwrap();
        assert!((0.0..=1.0).contains(&u), "{u}");
        assert!(disk_usage(Path::new("/no/such/dir")).is_err());
    }
}
