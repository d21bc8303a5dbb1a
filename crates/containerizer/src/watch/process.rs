//! Watching a process that is not our child: an executor re-adopted after a restart, or the
//! init process of an executor container. A pid alone can be reused once the process is
//! gone, so a process is identified by its pid and its start time (field 22 of
//! `/proc/<pid>/stat`, clock ticks since boot), checkpointed when it was started.

use std::path::Path;
use std::time::Duration;

/// How often [`ProcessIdentity::exited`] looks: well within the second in which an executor's
/// death must be noticed, at the cost of one small `/proc` read per executor.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A process as it was when started: pid and start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessIdentity {
    pub pid: u32,
    /// Start time in clock ticks since boot; `None` when it could not be read (then only
    /// the pid is compared).
    pub start_time: Option<u64>,
}

impl ProcessIdentity {
    /// The identity of the running process `pid`, read now.
    pub fn of(pid: u32) -> Self {
        Self {
            pid,
            start_time: start_time(pid),
        }
    }

    /// Whether this very process still runs (exists, is not a zombie, and started when it
    /// did).
    pub fn is_alive(&self) -> bool {
        let Some(stat) = read_stat(self.pid) else {
            return false;
        };
        let Some((state, started)) = parse_stat(&stat) else {
            return false;
        };
        if state == 'Z' || state == 'X' {
            return false;
        }
        match self.start_time {
            Some(expected) => started == expected,
            None => true,
        }
    }

    /// Resolves once the process has exited (polls every [`POLL_INTERVAL`]).
    pub async fn exited(&self) {
        while self.is_alive() {
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

/// Waits for the exit of a process that is not our child (an executor re-adopted after a
/// restart) through a pidfd, which the kernel makes readable when the process ends: one
/// descriptor per watched process, and no wake-up until it ends, where polling costs a
/// `/proc` read every [`POLL_INTERVAL`] per process (1% of a core for 20 executors here).
/// Falls back to polling when no pidfd can be had (Linux before 5.3).
#[derive(Debug)]
pub struct ExitWatch {
    identity: ProcessIdentity,
    pidfd: Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>>,
}

impl ExitWatch {
    /// Starts watching `identity`. Needs the tokio runtime (the pidfd is registered with it).
    pub fn new(identity: ProcessIdentity) -> Self {
        let pidfd = open_pidfd(identity.pid)
            // The pidfd is for whichever process has the pid now; checked after the open, a
            // matching start time says it is ours (if ours had ended since, the check fails
            // and the watch reports the exit at once through polling).
            .filter(|_| identity.is_alive())
            .and_then(|fd| {
                // SAFETY: an OwnedFd is a valid open descriptor, owned by the AsyncFd from here
                // on and closed only when it is dropped; its raw fd never changes.
                unsafe {
                    tokio::io::unix::AsyncFd::register_with_interest(
                        fd,
                        tokio::io::Interest::READABLE,
                    )
                }
                .ok()
            });
        Self { identity, pidfd }
    }

    /// The process watched.
    pub fn identity(&self) -> &ProcessIdentity {
        &self.identity
    }

    /// Resolves once the process has exited. Cancel-safe, and resolves at once again after.
    pub async fn exited(&self) {
        match &self.pidfd {
            Some(fd) => {
                if fd.readable().await.is_err() {
                    self.identity.exited().await;
                }
            }
            None => self.identity.exited().await,
        }
    }
}

fn open_pidfd(pid: u32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    let pid = libc::pid_t::try_from(pid).ok().filter(|p| *p > 0)?;
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor (close-on-exec)
    // or -1; nothing else is touched.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: a descriptor pidfd_open just returned, owned by nobody else.
    Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
}

/// The live processes (zombies aside, and never this one) whose environment holds
/// `name=<one of values>`. How recovery finds what an interrupted launch started: the
/// executor and every docker CLI it ran carry `MESOS_DIRECTORY=<sandbox>`. Only processes
/// whose environment we may read are seen: our user's, or all of them as root.
pub fn processes_with_env(name: &str, values: &[String]) -> Vec<ProcessIdentity> {
    let tags: Vec<Vec<u8>> = values
        .iter()
        .map(|v| format!("{name}={v}").into_bytes())
        .collect();
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if !environ
            .split(|b| *b == 0)
            .any(|var| tags.iter().any(|t| t.as_slice() == var))
        {
            continue;
        }
        let identity = ProcessIdentity::of(pid);
        if identity.is_alive() {
            found.push(identity);
        }
    }
    found
}

/// SIGKILLs every process [`processes_with_env`] finds, again and again until none is left
/// (one may have started another meanwhile) or `limit` has passed; returns the pids killed.
pub async fn kill_processes_with_env(name: &str, values: &[String], limit: Duration) -> Vec<u32> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut killed = Vec::new();
    loop {
        let found = processes_with_env(name, values);
        if found.is_empty() {
            return killed;
        }
        for p in &found {
            // Checked again just before the signal: the pid is the process we read.
            if p.is_alive() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(p.pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
                if !killed.contains(&p.pid) {
                    killed.push(p.pid);
                }
            }
        }
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!(name, ?values, "processes still run after being killed");
            return killed;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The start time of `pid` in clock ticks since boot.
pub fn start_time(pid: u32) -> Option<u64> {
    read_stat(pid)
        .as_deref()
        .and_then(parse_stat)
        .map(|(_, t)| t)
}

fn read_stat(pid: u32) -> Option<String> {
    if pid == 0 {
        return None;
    }
    std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).ok()
}

/// `(state, starttime)` from the text of `/proc/<pid>/stat`. The command name (field 2) is in
/// parentheses and may hold spaces and parentheses itself, so fields are counted from the
/// last `)`.
pub fn parse_stat(stat: &str) -> Option<(char, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: field 3 (state) is fields[0], field 22 (starttime) is fields[19].
    let state = fields.first()?.chars().next()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_name() {
        let stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 96 0 0 0 0 0 0 0 20 0 1 0 123456 1000 10 18446744073709551615";
        assert_eq!(parse_stat(stat), Some(('S', 123456)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn our_own_process_is_alive_and_a_changed_start_time_is_not() {
        let me = ProcessIdentity::of(std::process::id());
        assert!(me.start_time.is_some());
        assert!(me.is_alive());
        let reused = ProcessIdentity {
            start_time: me.start_time.map(|t| t + 1),
            ..me
        };
        assert!(!reused.is_alive());
        assert!(!ProcessIdentity::of(0).is_alive());
    }

    #[tokio::test]
    async fn an_exit_watch_resolves_when_a_process_that_is_not_our_child_ends() {
        // A grandchild: `sh` starts `sleep` in the background and exits, so `sleep` is
        // reparented and never ours to wait for.
        let out = std::process::Command::new("sh")
            .args(["-c", "sleep 0.3 >/dev/null 2>&1 & echo $!"])
            .output()
            .unwrap();
        let pid: u32 = String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let identity = ProcessIdentity::of(pid);
        assert!(identity.is_alive());
        let watch = ExitWatch::new(identity);
        assert!(watch.pidfd.is_some(), "no pidfd on this kernel");
        watch.exited().await;
        assert!(!identity.is_alive());
        // Once ended, it stays ended.
        watch.exited().await;

        // A pid whose start time does not match is not watched through a pidfd: it has
        // ended already, as far as the watch is concerned.
        let me = ProcessIdentity::of(std::process::id());
        let reused = ProcessIdentity {
            start_time: me.start_time.map(|t| t + 1),
            ..me
        };
        let watch = ExitWatch::new(reused);
        assert!(watch.pidfd.is_none());
        watch.exited().await;
    }

    #[tokio::test]
    async fn exited_resolves_when_a_process_ends() {
        let mut child = std::process::Command::new("sleep")
            .arg("0.2")
            .spawn()
            .unwrap();
        let id = ProcessIdentity::of(child.id());
        // Reap it from another thread so it does not linger as a zombie.
        std::thread::spawn(move || child.wait());
        id.exited().await;
        assert!(!id.is_alive());
    }
}
