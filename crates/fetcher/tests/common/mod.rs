//! Shared test fixtures: a real HTTP/1.1 server on 127.0.0.1, the fetcher binary runner, and
//! archive builders.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A small HTTP server on 127.0.0.1:0 serving files from `root` and a few misbehaviours:
///
/// | path | response |
/// |---|---|
/// | `/files/<name>` | 200 with the file, or 404 |
/// | `/status/<code>/<name>` | that status with a short body |
/// | `/flaky/<n>/<name>` | 503 for the first `n` requests of this path, then the file |
/// | `/reset/<n>/<name>` | the first `n` requests get half the body and a closed connection |
/// | `/redirect/<name>` | 302 to `/files/<name>` |
/// | `/loop/<name>` | 302 to itself, forever |
/// | `/unsized/<mib>/<name>` | 200 and `<mib>` MiB of zeros with no Content-Length (a body with no announced end) |
/// | `/sized/<mib>/<name>` | 200 and `<mib>` MiB of zeros with a Content-Length |
/// | `/stall/<name>` | headers and 10 bytes of the file, then silence |
/// | `/silent/<name>` | reads the request and never answers |
/// | `/trickle/<name>` | the file one byte every 100 ms |
pub struct Server {
    pub addr: std::net::SocketAddr,
    pub root: PathBuf,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start(root: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s, r) = (hits.clone(), stop.clone(), root.to_path_buf());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, s, r) = (h.clone(), s.clone(), r.clone());
                std::thread::spawn(move || handle(conn, &r, &h, &s));
            }
        });
        Self {
            addr,
            root: root.to_path_buf(),
            hits,
            stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Requests received for `path` (any method).
    pub fn hits(&self, path: &str) -> usize {
        *self.hits.lock().unwrap().get(path).unwrap_or(&0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn handle(
    mut conn: TcpStream,
    root: &Path,
    hits: &Mutex<HashMap<String, usize>>,
    stop: &AtomicBool,
) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let count = {
        let mut m = hits.lock().unwrap();
        let c = m.entry(path.clone()).or_insert(0);
        *c += 1;
        *c
    };
    let route = path.split('?').next().unwrap_or_default();
    let segs: Vec<&str> = route.trim_start_matches('/').splitn(3, '/').collect();
    let file = |name: &str| std::fs::read(root.join(name)).ok();
    let head = method == "HEAD";
    let respond = |conn: &mut TcpStream, code: u16, extra: &str, body: &[u8]| {
        let _ = write!(
            conn,
            "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
            body.len()
        );
        if !head {
            let _ = conn.write_all(body);
        }
    };
    // Bounded waits: a misbehaving handler never outlives the test by more than 30 s.
    let linger = |stop: &AtomicBool| {
        for _ in 0..300 {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    match segs.as_slice() {
        ["files", name] => match file(name) {
            Some(b) => respond(&mut conn, 200, "", &b),
            None => respond(&mut conn, 404, "", b"not found"),
        },
        ["status", code, _] => respond(&mut conn, code.parse().unwrap_or(500), "", b"error page"),
        ["flaky", n, name] => {
            if count <= n.parse().unwrap_or(0) {
                respond(&mut conn, 503, "", b"try later");
            } else {
                respond(&mut conn, 200, "", &file(name).unwrap_or_default());
            }
        }
        ["reset", n, name] => {
            let body = file(name).unwrap_or_default();
            if count <= n.parse().unwrap_or(0) {
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(&body[..body.len() / 2]);
                let _ = conn.shutdown(std::net::Shutdown::Both);
            } else {
                respond(&mut conn, 200, "", &body);
            }
        }
        ["redirect", name] => respond(&mut conn, 302, &format!("Location: /files/{name}\r\n"), b""),
        ["loop", name] => respond(&mut conn, 302, &format!("Location: /loop/{name}\r\n"), b""),
        [kind @ ("unsized" | "sized"), mib, _] => {
            let mib: usize = mib.parse().unwrap_or(1);
            let length = if *kind == "sized" {
                format!("Content-Length: {}\r\n", mib << 20)
            } else {
                String::new()
            };
            let _ = write!(conn, "HTTP/1.1 200 OK\r\n{length}Connection: close\r\n\r\n");
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..mib {
                // The client hanging up (a budget reached) ends the body early.
                if stop.load(Ordering::Relaxed) || conn.write_all(&chunk).is_err() {
                    break;
                }
            }
            let _ = conn.shutdown(std::net::Shutdown::Write);
        }
        ["stall", name] => {
            let body = file(name).unwrap_or_default();
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(&body[..10.min(body.len())]);
            let _ = conn.flush();
            linger(stop);
        }
        ["silent", _] => linger(stop),
        ["trickle", name] => {
            let body = file(name).unwrap_or_default();
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            for b in body {
                if conn.write_all(&[b]).is_err() || stop.load(Ordering::Relaxed) {
                    break;
                }
                let _ = conn.flush();
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        _ => respond(&mut conn, 404, "", b"no route"),
    }
    let mut sink = [0u8; 1];
    let _ = conn.set_read_timeout(Some(Duration::from_millis(10)));
    let _ = conn.read(&mut sink);
}

/// A sandbox, a cache root, and a directory of source files for one test.
pub struct Dirs {
    _tmp: tempfile::TempDir,
    pub sandbox: PathBuf,
    pub cache: PathBuf,
    pub src: PathBuf,
}

impl Dirs {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let sandbox = tmp.path().join("sandbox");
        let cache = tmp.path().join("cache");
        let src = tmp.path().join("src");
        std::fs::create_dir_all(&sandbox).unwrap();
        std::fs::create_dir_all(&src).unwrap();
        Self {
            _tmp: tmp,
            sandbox,
            cache,
            src,
        }
    }

    pub fn write_src(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.src.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    /// Files in the sandbox (relative paths, sorted), the fetcher's own hidden staging
    /// directories included so a leftover shows.
    pub fn sandbox_listing(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.sandbox, &self.sandbox, &mut out);
        out.sort();
        out
    }

    pub fn info(&self, items: Vec<Value>) -> Value {
        json!({
            "sandbox_directory": self.sandbox,
            "cache_directory": self.cache,
            "items": items,
            "stall_timeout": {"nanoseconds": 60_000_000_000u64},
        })
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        out.push(p.strip_prefix(root).unwrap().display().to_string());
        if e.file_type().unwrap().is_dir() {
            walk(root, &p, out);
        }
    }
}

/// A BYPASS_CACHE item for `value`, with extra URI fields merged in.
pub fn item(value: &str, extra: Value) -> Value {
    let mut uri = json!({"value": value, "extract": true});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            uri[k] = v;
        }
    }
    json!({"action": "BYPASS_CACHE", "uri": uri})
}

pub fn cache_item(action: &str, value: &str, cache_filename: &str, extra: Value) -> Value {
    let mut i = item(value, extra);
    i["action"] = json!(action);
    i["cache_filename"] = json!(cache_filename);
    i["uri"]["cache"] = json!(true);
    i
}

/// Runs the real `mesos-fetcher` binary with `info` in `MESOS_FETCHER_INFO`.
pub fn run_fetcher(info: &Value) -> Output {
    run_fetcher_env(info, &[])
}

pub fn run_fetcher_env(info: &Value, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mesos-fetcher"));
    cmd.env("MESOS_FETCHER_INFO", info.to_string())
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("HADOOP_HOME");
    for (k, v) in env {
        cmd.env(k, v);
    }
    // A fixed umask so modes can be asserted.
    // SAFETY: umask is async-signal-safe.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    cmd.output().unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The last stderr line: the reason for a failure.
pub fn last_line(out: &Output) -> String {
    stderr(out)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_string()
}

#[track_caller]
pub fn assert_ok(out: &Output) {
    assert!(out.status.success(), "fetcher failed:\n{}", stderr(out));
}

#[track_caller]
pub fn assert_fails_with(out: &Output, needle: &str) -> String {
    assert_eq!(out.status.code(), Some(1), "stderr:\n{}", stderr(out));
    let last = last_line(out);
    assert!(
        last.contains(needle),
        "last stderr line {last:?} lacks {needle:?}; stderr:\n{}",
        stderr(out)
    );
    last
}

// Not every test file builds archives.
#[allow(unused_imports)]
pub use test_rig::archive::{gzip, tar_bytes, Entry};

pub fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A zip with `(name, data, unix mode)` files and optional symlinks `(name, target)`.
pub fn zip_bytes(files: &[(&str, &[u8], u32)], symlinks: &[(&str, &str)]) -> Vec<u8> {
    test_rig::archive::zip_bytes(files, &[], symlinks)
}

pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}
