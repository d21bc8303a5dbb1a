//! A static file server on loopback for tests that fetch URIs: each path serves its bytes to
//! every GET (404 otherwise) and counts the GETs, until the server is dropped.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct FileServer {
    addr: SocketAddr,
    gets: Arc<Mutex<HashMap<String, usize>>>,
    stop: Arc<AtomicBool>,
}

impl FileServer {
    /// Serves `files` (`/path` → body) on 127.0.0.1.
    pub fn start(files: &[(&str, Vec<u8>)]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let files: Arc<HashMap<String, Vec<u8>>> = Arc::new(
            files
                .iter()
                .map(|(p, b)| (p.to_string(), b.clone()))
                .collect(),
        );
        let gets = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (g, s) = (gets.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (files, g) = (files.clone(), g.clone());
                std::thread::spawn(move || answer(stream, &files, &g));
            }
        });
        Self { addr, gets, stop }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// GETs received for `path` so far.
    pub fn gets(&self, path: &str) -> usize {
        *self.gets.lock().unwrap().get(path).unwrap_or(&0)
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn answer(
    mut stream: TcpStream,
    files: &HashMap<String, Vec<u8>>,
    gets: &Mutex<HashMap<String, usize>>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let body = files.get(path);
    if method == "GET" && body.is_some() {
        *gets.lock().unwrap().entry(path.to_string()).or_insert(0) += 1;
    }
    let (status, body): (&str, &[u8]) = match body {
        Some(b) => ("200 OK", b),
        None => ("404 Not Found", b""),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if method == "GET" {
        let _ = stream.write_all(body);
    }
}
