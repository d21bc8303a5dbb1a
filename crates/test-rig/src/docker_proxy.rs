//! A Unix-socket proxy in front of the real Docker socket, owned by a test and given to the
//! program under test as `--docker_socket`: stopping it is, for that program, the daemon
//! going away (every open connection cut, new ones refused) while the containers run on,
//! as they do across a daemon restart with `live-restore`. A fault injector around the real
//! daemon, not a stand-in for it.

use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The real daemon behind the proxy.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// See the module docs.
pub struct DockerProxy {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    /// Both ends of every connection made, to cut them on [`DockerProxy::stop`].
    connections: Arc<Mutex<Vec<UnixStream>>>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl DockerProxy {
    /// A proxy listening at `path`.
    pub fn start(path: &Path) -> DockerProxy {
        let mut proxy = DockerProxy {
            path: path.to_path_buf(),
            stop: Arc::new(AtomicBool::new(false)),
            connections: Arc::new(Mutex::new(Vec::new())),
            accept: None,
        };
        proxy.resume();
        proxy
    }

    /// Where the proxy listens.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The daemon is back: accept connections again.
    pub fn resume(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path).unwrap();
        listener.set_nonblocking(true).unwrap();
        self.stop = Arc::new(AtomicBool::new(false));
        let stop = self.stop.clone();
        let connections = self.connections.clone();
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
                let Ok(upstream) = UnixStream::connect(DOCKER_SOCKET) else {
                    continue;
                };
                {
                    let mut all = connections.lock().unwrap();
                    all.push(client.try_clone().unwrap());
                    all.push(upstream.try_clone().unwrap());
                }
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap()),
                    (upstream, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Write);
                    });
                }
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
