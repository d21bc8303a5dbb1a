//! Health checks of docker tasks (`TaskInfo.health_check`, docs/health-checks.md): COMMAND
//! through `docker exec`; HTTP, HTTPS and TCP from inside the container's network
//! namespace, so `127.0.0.1` is the container's own loopback whatever its network mode.
//!
//! HTTP and TCP run on a short-lived OS thread that `setns(2)`s into `/proc/<pid>/ns/net`
//! (the namespace is per thread; the thread ends with the check, so no other work ever runs
//! in the container's namespace). HTTPS runs the host's `curl` from a child that enters the
//! namespace before exec.

use docker_cli::Docker;
use mesos_types::container::IpProtocol;
use mesos_types::health::{CheckType, HealthCheck};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// One check's result: `Err` carries the failure text.
pub type CheckResult = Result<(), String>;

/// Checks `check` as the agent does; an error means the task runs unchecked.
pub fn validate(check: &HealthCheck) -> Result<(), String> {
    for (name, v) in [
        ("delay_seconds", check.delay_seconds()),
        ("interval_seconds", check.interval_seconds()),
        ("timeout_seconds", check.timeout_seconds()),
        ("grace_period_seconds", check.grace_period_seconds()),
    ] {
        if v < 0.0 || v.is_nan() {
            return Err(format!("'{name}' must be non-negative"));
        }
    }
    match check.kind() {
        CheckType::Unknown => Err("'type' must be COMMAND, HTTP or TCP".into()),
        CheckType::Command => match &check.command {
            Some(c) if c.value.is_some() => Ok(()),
            Some(_) => Err("COMMAND health check needs 'command.value'".into()),
            None => Err("Expecting 'command' to be set for COMMAND health check".into()),
        },
        CheckType::Http => {
            let http = check
                .http
                .as_ref()
                .ok_or("Expecting 'http' to be set for HTTP health check")?;
            if !matches!(http.scheme(), "http" | "https") {
                return Err(format!(
                    "Unsupported HTTP health check scheme: '{}'",
                    http.scheme()
                ));
            }
            if let Some(path) = &http.path {
                if !path.is_empty() && !path.starts_with('/') {
                    return Err(format!(
                        "The path '{path}' of HTTP health check must start with '/'"
                    ));
                }
            }
            Ok(())
        }
        CheckType::Tcp => check
            .tcp
            .as_ref()
            .map(|_| ())
            .ok_or_else(|| "Expecting 'tcp' to be set for TCP health check".into()),
    }
}

/// Where a check runs.
#[derive(Clone)]
pub struct Target {
    pub docker: Docker,
    pub container: String,
    /// The container's init pid, for its network namespace.
    pub pid: Option<i32>,
}

/// Runs one check, bounded by the check's timeout (0 = none).
pub async fn run_check(check: &HealthCheck, target: &Target) -> CheckResult {
    let timeout = check.timeout().to_std();
    let limit = if timeout.is_zero() {
        Duration::from_secs(365 * 24 * 3600)
    } else {
        timeout
    };
    let shown = mesos_types::duration::Duration::from(timeout);
    match check.kind() {
        CheckType::Command => {
            let command = check.command.clone().unwrap_or_default();
            let mut argv: Vec<String> = Vec::new();
            let value = command.value.clone().unwrap_or_default();
            if command.shell() {
                argv.extend(["sh".into(), "-c".into(), value]);
            } else {
                argv.push(value);
                argv.extend(command.arguments.iter().cloned());
            }
            // As Mesos: the command's variables reach the CLI, not the container.
            let env = command
                .variables()
                .iter()
                .map(|var| (var.name.clone(), var.value.clone().unwrap_or_default()))
                .collect();
            let out = target
                .docker
                .exec_with_env(&target.container, &argv, env, limit)
                .await;
            match out {
                Err(e) if e.is_timeout() => Err(format!("Command timed out after {shown}")),
                Err(e) => Err(format!("Failed to run docker exec: {e}")),
                Ok(out) => {
                    // Check output goes to our stderr (the sandbox `stderr` file).
                    let _ = std::io::stderr().write_all(&out.stderr);
                    match out.code {
                        Some(0) => Ok(()),
                        Some(code) => Err(format!("Command returned: exited with status {code}")),
                        None => Err("Command returned: terminated by a signal".into()),
                    }
                }
            }
        }
        CheckType::Http => {
            let http = check.http.clone().ok_or("no 'http'")?;
            let ip = loopback(http.protocol());
            let path = http.path.clone().unwrap_or_default();
            if http.scheme() == "https" {
                return curl_in_netns(
                    target.pid,
                    &format!("https://{}:{}{}", url_host(ip), http.port, path),
                    limit,
                    &shown,
                )
                .await;
            }
            let addr = SocketAddr::new(ip, port(http.port)?);
            let host = format!("{}:{}", url_host(ip), http.port);
            in_netns(target.pid, limit, shown, move |deadline| {
                http_get(addr, &host, &path, deadline)
            })
            .await
        }
        CheckType::Tcp => {
            let tcp = check.tcp.clone().ok_or("no 'tcp'")?;
            // As Mesos: TCP checks always target 127.0.0.1.
            let addr = SocketAddr::new(loopback(IpProtocol::IPv4), port(tcp.port)?);
            in_netns(target.pid, limit, shown, move |deadline| {
                TcpStream::connect_timeout(&addr, remaining(deadline)?)
                    .map(|_| ())
                    .map_err(|e| format!("TCP connection failed: {e}"))
            })
            .await
        }
        CheckType::Unknown => Err("unknown health check type".into()),
    }
}

fn port(p: u32) -> Result<u16, String> {
    u16::try_from(p).map_err(|_| format!("port {p} is out of range"))
}

fn loopback(protocol: IpProtocol) -> std::net::IpAddr {
    match protocol {
        IpProtocol::IPv6 => std::net::Ipv6Addr::LOCALHOST.into(),
        IpProtocol::IPv4 => std::net::Ipv4Addr::LOCALHOST.into(),
    }
}

fn url_host(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        std::net::IpAddr::V4(v4) => v4.to_string(),
    }
}

fn remaining(deadline: Instant) -> Result<Duration, String> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "timed out".to_string())
}

/// Describes a wait status as Mesos does (`exited with status N`, `terminated with signal X`).
pub fn describe_status(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    let sig = status.signal().unwrap_or(0);
    let mut text = format!("terminated with signal {}", signal_text(sig));
    if status.core_dumped() {
        text.push_str(" (core dumped)");
    }
    text
}

/// `strsignal(3)` text (`Killed`, `Terminated`).
pub fn signal_text(sig: i32) -> String {
    // SAFETY: strsignal returns a pointer to a static or thread-local NUL-terminated string;
    // we copy it out at once.
    unsafe {
        let p = libc::strsignal(sig);
        if p.is_null() {
            format!("Unknown signal {sig}")
        } else {
            std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

/// Runs `f` on a fresh OS thread inside `pid`'s network namespace, bounded by `limit`.
async fn in_netns<F>(
    pid: Option<i32>,
    limit: Duration,
    shown: mesos_types::duration::Duration,
    f: F,
) -> CheckResult
where
    F: FnOnce(Instant) -> CheckResult + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let deadline = Instant::now() + limit;
    let spawned = std::thread::Builder::new()
        .name("netns-check".into())
        .stack_size(64 << 10)
        .spawn(move || {
            let result = enter_netns(pid).and_then(|()| f(deadline));
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(format!("cannot start the check thread: {e}"));
    }
    match tokio::time::timeout(limit, rx).await {
        Err(_) => Err(format!("health check timed out after {shown}")),
        Ok(Err(_)) => Err("the check thread died".into()),
        Ok(Ok(result)) => result,
    }
}

/// Moves the calling thread into `pid`'s network namespace (nothing when `pid` is None).
fn enter_netns(pid: Option<i32>) -> Result<(), String> {
    let Some(pid) = pid else { return Ok(()) };
    let path = format!("/proc/{pid}/ns/net");
    let file = std::fs::File::open(&path).map_err(|e| format!("cannot open {path}: {e}"))?;
    nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("cannot enter the network namespace {path}: {e}"))
}

/// A plain HTTP/1.1 GET; healthy on a status in [200, 400).
fn http_get(addr: SocketAddr, host: &str, path: &str, deadline: Instant) -> CheckResult {
    let mut s = TcpStream::connect_timeout(&addr, remaining(deadline)?)
        .map_err(|e| format!("HTTP connection to {addr} failed: {e}"))?;
    s.set_write_timeout(Some(remaining(deadline)?)).ok();
    s.set_read_timeout(Some(remaining(deadline)?)).ok();
    let path = if path.is_empty() { "/" } else { path };
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mesos-docker-executor\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes())
        .map_err(|e| format!("sending the HTTP request failed: {e}"))?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        let n = s
            .read(&mut buf)
            .map_err(|e| format!("reading the HTTP response failed: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or("");
    let code: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("Unexpected HTTP response: '{line}'"))?;
    if (200..400).contains(&code) {
        Ok(())
    } else {
        Err(format!(
            "Unexpected HTTP response code: {}",
            line.split_once(' ').map_or(line, |(_, rest)| rest)
        ))
    }
}

/// HTTPS through the host's curl, exec'd from a child that first enters the namespace.
async fn curl_in_netns(
    pid: Option<i32>,
    url: &str,
    limit: Duration,
    shown: &mesos_types::duration::Duration,
) -> CheckResult {
    let mut cmd = tokio::process::Command::new("curl");
    cmd.args([
        "-s",
        "-S",
        "-L",
        "-k",
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
        "-g",
        url,
    ])
    .stdin(std::process::Stdio::null())
    .kill_on_drop(true);
    if let Some(pid) = pid {
        let path = format!("/proc/{pid}/ns/net");
        let ns = std::fs::File::open(&path).map_err(|e| format!("cannot open {path}: {e}"))?;
        // SAFETY: only the async-signal-safe setns(2) syscall runs between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                use std::os::fd::AsRawFd;
                if libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let child = cmd.output();
    let out = match tokio::time::timeout(limit, child).await {
        Err(_) => return Err(format!("curl timed out after {shown}")),
        Ok(Err(e)) => return Err(format!("Failed to run curl: {e}")),
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        return Err(format!(
            "curl {}: {}",
            describe_status(out.status),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let code: u16 = text
        .trim()
        .parse()
        .map_err(|_| format!("Unexpected output from curl: {text}"))?;
    if (200..400).contains(&code) {
        Ok(())
    } else {
        Err(format!("Unexpected HTTP response code: {code}"))
    }
}

/// Turns check results into reports, as Mesos's health checker does: failures in the grace
/// period before the first success are ignored, and too many in a row ask for a kill.
#[derive(Debug)]
pub struct Interpreter {
    started: Instant,
    grace: Duration,
    max_failures: u32,
    consecutive: u32,
    seen_success: bool,
    last_was_failure: bool,
}

/// What a check result means for the task.
#[derive(Debug, PartialEq, Eq)]
pub enum Report {
    /// Nothing to send.
    Quiet,
    /// Send a TASK_RUNNING with this `healthy`; kill the task when `kill`.
    Health { healthy: bool, kill: bool },
}

impl Interpreter {
    pub fn new(check: &HealthCheck, started: Instant) -> Self {
        Self {
            started,
            grace: check.grace_period().to_std(),
            max_failures: check.consecutive_failures(),
            consecutive: 0,
            seen_success: false,
            last_was_failure: false,
        }
    }

    pub fn record(&mut self, result: &CheckResult, now: Instant) -> Report {
        match result {
            Err(_) => {
                if !self.seen_success
                    && !self.grace.is_zero()
                    && now.duration_since(self.started) <= self.grace
                {
                    return Report::Quiet;
                }
                self.consecutive += 1;
                self.last_was_failure = true;
                Report::Health {
                    healthy: false,
                    kill: self.consecutive >= self.max_failures,
                }
            }
            Ok(()) => {
                let report = !self.seen_success || self.last_was_failure;
                self.seen_success = true;
                self.last_was_failure = false;
                self.consecutive = 0;
                if report {
                    Report::Health {
                        healthy: true,
                        kill: false,
                    }
                } else {
                    Report::Quiet
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_types::from_json_str;

    fn check(json: &str) -> HealthCheck {
        from_json_str(json).unwrap()
    }

    #[test]
    fn validation() {
        validate(&check(r#"{"type":"TCP","tcp":{"port":1}}"#)).unwrap();
        assert!(validate(&check(
            r#"{"type":"HTTP","http":{"port":1,"scheme":"ftp"}}"#
        ))
        .is_err());
        assert!(validate(&check(r#"{"type":"HTTP","http":{"port":1,"path":"x"}}"#)).is_err());
        assert!(validate(&check(r#"{"type":"COMMAND"}"#)).is_err());
        assert!(validate(&check(
            r#"{"type":"TCP","tcp":{"port":1},"delay_seconds":-1}"#
        ))
        .is_err());
        assert!(validate(&check(r#"{}"#)).is_err());
    }

    #[test]
    fn interpretation() {
        let t0 = Instant::now();
        let c = check(
            r#"{"type":"TCP","tcp":{"port":1},"grace_period_seconds":10,"consecutive_failures":2}"#,
        );
        let mut i = Interpreter::new(&c, t0);
        let fail: CheckResult = Err("no".into());
        // In grace, before any success: ignored.
        assert_eq!(i.record(&fail, t0 + Duration::from_secs(1)), Report::Quiet);
        assert_eq!(
            i.record(&Ok(()), t0 + Duration::from_secs(2)),
            Report::Health {
                healthy: true,
                kill: false
            }
        );
        assert_eq!(
            i.record(&Ok(()), t0 + Duration::from_secs(3)),
            Report::Quiet
        );
        // After a success the grace no longer applies; every failure is reported.
        assert_eq!(
            i.record(&fail, t0 + Duration::from_secs(4)),
            Report::Health {
                healthy: false,
                kill: false
            }
        );
        assert_eq!(
            i.record(&fail, t0 + Duration::from_secs(5)),
            Report::Health {
                healthy: false,
                kill: true
            }
        );
        let c = check(
            r#"{"type":"TCP","tcp":{"port":1},"grace_period_seconds":0,"consecutive_failures":0}"#,
        );
        let mut i = Interpreter::new(&c, t0);
        assert_eq!(
            i.record(&fail, t0),
            Report::Health {
                healthy: false,
                kill: true
            }
        );
    }

    #[test]
    fn wait_status_text() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            describe_status(std::process::ExitStatus::from_raw(3 << 8)),
            "exited with status 3"
        );
        assert_eq!(
            describe_status(std::process::ExitStatus::from_raw(9)),
            "terminated with signal Killed"
        );
    }

    #[test]
    fn tcp_and_http_checks_in_our_own_namespace() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for s in listener.incoming().take(2) {
                let mut s = s.unwrap();
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf);
                let _ =
                    s.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
            }
        });
        let target = Target {
            docker: Docker::new("docker", None).unwrap(),
            container: "none".into(),
            pid: None,
        };
        let tcp = check(&format!(
            r#"{{"type":"TCP","tcp":{{"port":{port}}},"timeout_seconds":5}}"#
        ));
        rt.block_on(run_check(&tcp, &target)).unwrap();
        let http = check(&format!(
            r#"{{"type":"HTTP","http":{{"port":{port},"path":"/h"}},"timeout_seconds":5}}"#
        ));
        let err = rt.block_on(run_check(&http, &target)).unwrap_err();
        assert_eq!(
            err,
            "Unexpected HTTP response code: 503 Service Unavailable"
        );
    }
}
