//! A Unix-socket proxy in front of the real Docker socket, passed to the containerizer as
//! `--docker_socket`: stopping it is, for whoever talks through it, the daemon going away
//! (open connections cut, new ones refused; the containers keep running, as across a
//! daemon restart with `live-restore`), and it can hang the requests a test picks, which
//! is a hung daemon for them. The daemon itself is never touched: the suite shares it with
//! every other test running at the same time.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The real daemon behind the proxy.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// Which requests never get an answer: called with the path of the first request of each
/// connection (the Engine API clients make one request per connection; the docker CLI
/// reuses a connection, whose first request is its `/_ping`).
pub type HangIf = fn(&str) -> bool;

pub struct DockerProxy {
    pub path: PathBuf,
    hang: Option<HangIf>,
    stop: Arc<AtomicBool>,
    /// Both ends of every connection made, to cut them on [`DockerProxy::stop`].
    connections: Arc<Mutex<Vec<UnixStream>>>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl DockerProxy {
    /// A proxy at `path` that passes everything through.
    pub fn start(path: &Path) -> DockerProxy {
        Self::start_with(path, None)
    }

    /// A proxy at `path` that holds, unanswered, every connection whose first request's
    /// path `hang` picks.
    pub fn hanging(path: &Path, hang: HangIf) -> DockerProxy {
        Self::start_with(path, Some(hang))
    }

    fn start_with(path: &Path, hang: Option<HangIf>) -> DockerProxy {
        let mut proxy = DockerProxy {
            path: path.to_path_buf(),
            hang,
            stop: Arc::new(AtomicBool::new(false)),
            connections: Arc::new(Mutex::new(Vec::new())),
            accept: None,
        };
        proxy.resume();
        proxy
    }

    /// The daemon is back: accept connections again.
    pub fn resume(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path).unwrap();
        listener.set_nonblocking(true).unwrap();
        self.stop = Arc::new(AtomicBool::new(false));
        let stop = self.stop.clone();
        let connections = self.connections.clone();
        let hang = self.hang;
        self.accept = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let client = match listener.accept() {
                    Ok((client, _)) => client,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    Err(_) => return,
                };
                client.set_nonblocking(false).unwrap();
                connections
                    .lock()
                    .unwrap()
                    .push(client.try_clone().unwrap());
                let stop = stop.clone();
                let connections = connections.clone();
                std::thread::spawn(move || relay(client, hang, &stop, &connections));
            }
        }));
    }

    /// The daemon goes away: new connections are refused, open ones are cut.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let _ = std::fs::remove_file(&self.path);
        for c in self.connections.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for DockerProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads the first request line of `client`, then holds the connection (a hung request) or
/// relays it both ways to the daemon.
fn relay(
    mut client: UnixStream,
    hang: Option<HangIf>,
    stop: &AtomicBool,
    connections: &Mutex<Vec<UnixStream>>,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\n") && head.len() < 16 * 1024 {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let line = String::from_utf8_lossy(&head);
    let path = line.split(' ').nth(1).unwrap_or_default();
    if hang.is_some_and(|hang| hang(path)) {
        // Never answered; cut when the proxy stops (its clone is in `connections`).
        let mut sink = Vec::new();
        let _ = client.read_to_end(&mut sink);
        return;
    }
    let Ok(mut upstream) = UnixStream::connect(DOCKER_SOCKET) else {
        return;
    };
    connections
        .lock()
        .unwrap()
        .push(upstream.try_clone().unwrap());
    if stop.load(Ordering::SeqCst) || upstream.write_all(&head).is_err() {
        let _ = client.shutdown(Shutdown::Both);
        let _ = upstream.shutdown(Shutdown::Both);
        return;
    }
    let (mut from, mut to) = (upstream.try_clone().unwrap(), client.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut client, &mut upstream);
    let _ = upstream.shutdown(Shutdown::Write);
}
