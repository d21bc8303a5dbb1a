//! The Mesos agent's files API on `serve`'s port, with the agent's request and answer
//! shapes, so that its clients (the web UI's pailer, `mesos task log`, log shippers that tail
//! `/files/read` by offset) work unchanged:
//!
//! | endpoint | answers |
//! |---|---|
//! | `/files/browse?path=P` | a JSON list of `{gid, mode, mtime, nlink, path, size, uid}`, sorted by path; `[]` for a file |
//! | `/files/read?path=P&offset=O&length=L` | `{"data": "...", "offset": O}`; at most 16 pages (64 KiB) a call; `offset=-1` (or none) gives `{"data": "", "offset": <size>}` |
//! | `/files/download?path=P` | the file's bytes, as they were when it was opened |
//! | `/files/debug` | `{virtual path: host path}` of every attached sandbox |
//!
//! Each sandbox is attached as `/sandboxes/<ContainerID>` and under its host path
//! `<work_dir>/sandboxes/<ContainerID>`, for every container the daemon knows (running or
//! ended, until garbage collection removes it). [`crate::daemon::sandbox_path::parse`] names the
//! file from the path alone; then the file system decides: the path with every symlink
//! resolved must stay inside that sandbox (403 otherwise), and the file actually opened is
//! checked again through `/proc/self/fd`, so a symlink swapped in meanwhile gains nothing.
//! Reads cost what they read: one `pread` at the offset.

use super::response::{full, text, Body};
use super::Daemon;
use crate::daemon::files_wire;
use crate::daemon::sandbox_path::{self, PathRefusal};
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The alias every sandbox is attached under, as `/sandboxes/<ContainerID>`.
pub const SANDBOXES_ALIAS: &str = "/sandboxes";

/// How much one `/files/read` returns at most: 16 pages, as the agent.
fn max_read() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    16 * if page > 0 { page as u64 } else { 4096 }
}

/// A refused request: status and message.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(path: &[u8]) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("No file '{}' in any sandbox", String::from_utf8_lossy(path)),
        )
    }

    fn forbidden(path: &[u8]) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!(
                "'{}' is inaccessible: it leads out of its sandbox",
                String::from_utf8_lossy(path)
            ),
        )
    }

    fn response(self) -> Response<Body> {
        text(self.status, self.message)
    }
}

/// One `%XX`-and-`+` decoding, as the agent decodes query strings.
fn percent_decode(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                    .ok_or_else(|| {
                        format!(
                            "Malformed % escape in '{s}': '{}'",
                            String::from_utf8_lossy(&b[i..b.len().min(i + 3)])
                        )
                    })?;
                out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// The query parameters (split on `&` and `;`), each decoded once; a later one of the same
/// name wins.
fn decode_query(query: Option<&str>) -> Result<HashMap<String, Vec<u8>>, String> {
    let mut params = HashMap::new();
    for pair in query
        .unwrap_or("")
        .split(['&', ';'])
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = String::from_utf8_lossy(&percent_decode(key)?).into_owned();
        params.insert(key, percent_decode(value)?);
    }
    Ok(params)
}

/// A number parameter the agent's way (`numify`): an optional sign and digits.
fn number(params: &HashMap<String, Vec<u8>>, name: &str) -> Result<Option<i64>, Refusal> {
    let Some(raw) = params.get(name) else {
        return Ok(None);
    };
    let s = String::from_utf8_lossy(raw);
    s.trim().parse::<i64>().map(Some).map_err(|_| {
        Refusal::bad(format!(
            "Failed to parse {name}: Failed to convert '{s}' to number."
        ))
    })
}

fn path_param(params: &HashMap<String, Vec<u8>>) -> Result<Vec<u8>, Refusal> {
    match params.get("path") {
        Some(p) if !p.is_empty() => Ok(p.clone()),
        _ => Err(Refusal::bad("Expecting 'path=value' in query.")),
    }
}

/// Where the daemon's sandboxes are.
#[derive(Debug, Clone)]
struct Sandboxes {
    /// `<work_dir>/sandboxes` as configured.
    dir: PathBuf,
    /// The same with every symlink resolved, if it exists.
    real: Option<PathBuf>,
}

impl Sandboxes {
    fn of(daemon: &Daemon) -> Self {
        let dir = daemon.cz.context().work.sandboxes_dir();
        let real = std::fs::canonicalize(&dir).ok();
        Self { dir, real }
    }

    /// The prefixes sandboxes are attached under.
    fn prefixes(&self) -> Vec<Vec<u8>> {
        let mut out = vec![
            SANDBOXES_ALIAS.as_bytes().to_vec(),
            self.dir.as_os_str().as_bytes().to_vec(),
        ];
        if let Some(real) = &self.real {
            if *real != self.dir {
                out.push(real.as_os_str().as_bytes().to_vec());
            }
        }
        out
    }
}

/// The containers whose sandboxes are attached: those the daemon holds, and those with
/// checkpoints in the work dir (a `run` on the same work dir, ended after `serve` started).
fn is_known(daemon: &Daemon, container_id: &str) -> bool {
    daemon.cz.get(container_id).is_some()
        || daemon
            .cz
            .context()
            .work
            .container_meta(container_id)
            .state()
            .is_file()
}

/// A path of the files API, resolved to a file inside its sandbox.
#[derive(Debug)]
struct Resolved {
    /// The sandbox directory, every symlink resolved.
    root: PathBuf,
    /// The file, every symlink resolved; inside `root`.
    real: PathBuf,
}

fn resolve(daemon: &Daemon, sandboxes: &Sandboxes, request: &[u8]) -> Result<Resolved, Refusal> {
    let prefixes = sandboxes.prefixes();
    let prefixes: Vec<&[u8]> = prefixes.iter().map(Vec::as_slice).collect();
    let named = sandbox_path::parse(request, &prefixes).map_err(|e| match e {
        PathRefusal::Invalid(m) => Refusal::bad(m),
        PathRefusal::Escapes => Refusal::forbidden(request),
        PathRefusal::NotFound => Refusal::not_found(request),
    })?;
    if !is_known(daemon, &named.container_id) {
        return Err(Refusal::not_found(request));
    }
    let real_dir = sandboxes
        .real
        .as_ref()
        .ok_or_else(|| Refusal::not_found(request))?;
    let expected = real_dir.join(&named.container_id);
    let root = std::fs::canonicalize(&expected).map_err(|_| Refusal::not_found(request))?;
    if root != expected {
        // The sandbox directory itself was replaced by a symlink.
        return Err(Refusal::forbidden(request));
    }
    let real = match std::fs::canonicalize(root.join(named.relative())) {
        Ok(real) => real,
        Err(e) => {
            return Err(match e.kind() {
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => {
                    Refusal::not_found(request)
                }
                io::ErrorKind::PermissionDenied => Refusal::forbidden(request),
                _ => Refusal::bad(format!(
                    "Failed to determine canonical path of '{}': {e}",
                    String::from_utf8_lossy(request)
                )),
            })
        }
    };
    if !sandbox_path::within(&root, &real) {
        return Err(Refusal::forbidden(request));
    }
    Ok(Resolved { root, real })
}

/// `/proc/self/fd/<fd>` of an open file.
fn fd_path(file: &File) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

/// Opens the resolved file without following a symlink put in its place, and checks that
/// what was opened is inside the sandbox still (a directory on the way may have been
/// swapped for a symlink since the path was resolved).
fn open(resolved: &Resolved, request: &[u8], directory: bool) -> Result<File, Refusal> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    let mut flags = libc::O_NOFOLLOW | libc::O_CLOEXEC;
    if directory {
        flags |= libc::O_DIRECTORY;
    }
    options.custom_flags(flags);
    let file = options.open(&resolved.real).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Refusal::not_found(request),
        io::ErrorKind::PermissionDenied => Refusal::forbidden(request),
        _ if e.raw_os_error() == Some(libc::ELOOP) => Refusal::forbidden(request),
        _ => Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Failed to open file at '{}': {e}", resolved.real.display()),
        ),
    })?;
    match std::fs::read_link(fd_path(&file)) {
        Ok(opened) if !sandbox_path::within(&resolved.root, &opened) => {
            Err(Refusal::forbidden(request))
        }
        // Without /proc the resolved path is all there is to judge by.
        _ => Ok(file),
    }
}

fn json(bytes: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(full(bytes));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Answers a request on `/files/...`.
pub(crate) async fn route(daemon: Arc<Daemon>, path: &str, query: Option<&str>) -> Response<Body> {
    let params = match decode_query(query) {
        Ok(p) => p,
        Err(e) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("Unable to decode query string: {e}"),
            )
        }
    };
    let sub = path.to_string();
    if sub == "/files/download" {
        return download(daemon, params).await;
    }
    let answer = tokio::task::spawn_blocking(move || {
        let sandboxes = Sandboxes::of(&daemon);
        match sub.as_str() {
            "/files/browse" => browse(&daemon, &sandboxes, &params),
            "/files/read" => read(&daemon, &sandboxes, &params),
            "/files/debug" => Ok(json(debug(&daemon, &sandboxes))),
            other => Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("No route for '{other}': the files API is /files/browse, /files/read, /files/download and /files/debug"),
            )),
        }
    })
    .await;
    match answer {
        Ok(Ok(response)) => response,
        Ok(Err(refusal)) => refusal.response(),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `ls -l`'s mode string, as the agent writes it.
fn mode_string(mode: u32) -> String {
    let kind = match mode & libc::S_IFMT {
        libc::S_IFDIR => 'd',
        libc::S_IFCHR => 'c',
        libc::S_IFBLK => 'b',
        libc::S_IFIFO => 'p',
        libc::S_IFLNK => 'l',
        libc::S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    for (bit, c) in [
        (libc::S_IRUSR, 'r'),
        (libc::S_IWUSR, 'w'),
        (libc::S_IXUSR, 'x'),
        (libc::S_IRGRP, 'r'),
        (libc::S_IWGRP, 'w'),
        (libc::S_IXGRP, 'x'),
        (libc::S_IROTH, 'r'),
        (libc::S_IWOTH, 'w'),
        (libc::S_IXOTH, 'x'),
    ] {
        s.push(if mode & bit != 0 { c } else { '-' });
    }
    s
}

/// User and group names, looked up once per answer.
#[derive(Default)]
struct Names {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl Names {
    fn user(&mut self, uid: u32) -> String {
        self.users
            .entry(uid)
            .or_insert_with(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
                    .unwrap_or_else(|| uid.to_string())
            })
            .clone()
    }

    fn group(&mut self, gid: u32) -> String {
        self.groups
            .entry(gid)
            .or_insert_with(|| {
                nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
                    .ok()
                    .flatten()
                    .map(|g| g.name)
                    .unwrap_or_else(|| gid.to_string())
            })
            .clone()
    }
}

/// One entry of a listing, as the agent's `FileInfo` model writes it (keys sorted).
fn push_file_info(out: &mut Vec<u8>, path: &[u8], meta: &std::fs::Metadata, names: &mut Names) {
    out.extend_from_slice(b"{\"gid\":");
    files_wire::push_string(out, names.group(meta.gid()).as_bytes());
    out.extend_from_slice(b",\"mode\":");
    files_wire::push_string(out, mode_string(meta.mode()).as_bytes());
    out.extend_from_slice(
        format!(
            ",\"mtime\":{},\"nlink\":{},\"path\":",
            serde_json::Value::from(meta.mtime() as f64),
            meta.nlink()
        )
        .as_bytes(),
    );
    files_wire::push_string(out, path);
    out.extend_from_slice(format!(",\"size\":{},\"uid\":", meta.size()).as_bytes());
    files_wire::push_string(out, names.user(meta.uid()).as_bytes());
    out.push(b'}');
}

fn browse(
    daemon: &Daemon,
    sandboxes: &Sandboxes,
    params: &HashMap<String, Vec<u8>>,
) -> Result<Response<Body>, Refusal> {
    let request = path_param(params)?;
    let resolved = resolve(daemon, sandboxes, &request)?;
    if !resolved.real.is_dir() {
        // As the agent: listing a file lists nothing.
        return Ok(json(b"[]".to_vec()));
    }
    let dir = open(&resolved, &request, true)?;
    // Read through the descriptor that was checked, not the path.
    let through = fd_path(&dir);
    let base = if through.exists() {
        through
    } else {
        resolved.real.clone()
    };
    let entries = std::fs::read_dir(&base).map_err(|e| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Failed to list '{}': {e}", resolved.real.display()),
        )
    })?;
    let shown = sandbox_path::strip_file_uri(&request);
    let mut listing: Vec<(Vec<u8>, std::fs::Metadata)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Ok(lstat) = std::fs::symlink_metadata(base.join(&name)) else {
            continue;
        };
        // A symlink is described by its target when that is inside the sandbox, else by
        // itself: nothing about a file outside is told.
        let meta = if lstat.file_type().is_symlink() {
            match std::fs::canonicalize(resolved.real.join(&name)) {
                Ok(target) if sandbox_path::within(&resolved.root, &target) => {
                    std::fs::metadata(&target).unwrap_or(lstat)
                }
                _ => lstat,
            }
        } else {
            lstat
        };
        let mut path = shown.to_vec();
        if !path.ends_with(b"/") {
            path.push(b'/');
        }
        path.extend_from_slice(name.as_bytes());
        listing.push((path, meta));
    }
    listing.sort_by(|a, b| a.0.cmp(&b.0));
    let mut names = Names::default();
    let mut out = vec![b'['];
    for (i, (path, meta)) in listing.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_file_info(&mut out, path, meta, &mut names);
    }
    out.push(b']');
    Ok(json(out))
}

/// `(offset, length)` of a read, as the agent reads its parameters: a missing offset is
/// `-1`; `offset=-1` asks for the size only; `length=-1` or none reads to the end (capped).
fn read_range(params: &HashMap<String, Vec<u8>>) -> Result<(i64, Option<u64>), Refusal> {
    let offset = number(params, "offset")?.unwrap_or(-1);
    if offset < -1 {
        return Err(Refusal::bad(format!("Negative offset provided: {offset}.")));
    }
    let length = match number(params, "length")? {
        Some(l) if l < -1 => return Err(Refusal::bad(format!("Negative length provided: {l}."))),
        Some(l) if l >= 0 => Some(l as u64),
        _ => None,
    };
    Ok(if offset == -1 {
        (-1, Some(0))
    } else {
        (offset, length)
    })
}

/// Reads at most `length` (capped at `max`) bytes of `file` at `offset`; the file's size
/// and the bytes.
fn read_at(file: &File, offset: u64, length: Option<u64>, max: u64) -> io::Result<(u64, Vec<u8>)> {
    let size = file.metadata()?.len();
    if offset >= size {
        return Ok((size, Vec::new()));
    }
    let length = length.unwrap_or(size - offset).min(max).min(size - offset);
    let mut buf = vec![0u8; length as usize];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok((size, buf))
}

fn read(
    daemon: &Daemon,
    sandboxes: &Sandboxes,
    params: &HashMap<String, Vec<u8>>,
) -> Result<Response<Body>, Refusal> {
    let request = path_param(params)?;
    let (offset, length) = read_range(params)?;
    let resolved = resolve(daemon, sandboxes, &request)?;
    if resolved.real.is_dir() {
        return Err(Refusal::bad("Cannot read a directory."));
    }
    let file = open(&resolved, &request, false)?;
    let from = offset.max(0) as u64;
    let (size, data) = read_at(&file, from, length, max_read()).map_err(|e| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Failed to read file at '{}': {e}", resolved.real.display()),
        )
    })?;
    let shown = if offset == -1 { size } else { from };
    Ok(json(files_wire::read_answer(&data, shown)))
}

/// The agent's content type for a file name's extension, else `application/octet-stream`.
fn content_type(name: &OsStr) -> &'static str {
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("txt") => "text/plain",
        Some("html") | Some("htm") => "text/html",
        Some("css") => "text/css",
        Some("xml") => "text/xml",
        Some("js") => "application/x-javascript",
        Some("sh") => "application/x-sh",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("tar") => "application/x-tar",
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        _ => "application/octet-stream",
    }
}

/// `attachment; filename=<name>`, with what a header cannot carry replaced by `_`.
fn disposition(name: &OsStr) -> HeaderValue {
    let safe: String = name
        .as_bytes()
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) && b != b'"' && b != b';' {
                b as char
            } else {
                '_'
            }
        })
        .collect();
    HeaderValue::from_str(&format!("attachment; filename={safe}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// How much of a download is read ahead of the client.
const DOWNLOAD_CHUNK: usize = 64 << 10;

async fn download(daemon: Arc<Daemon>, params: HashMap<String, Vec<u8>>) -> Response<Body> {
    let opened = tokio::task::spawn_blocking(move || {
        let sandboxes = Sandboxes::of(&daemon);
        let request = path_param(&params)?;
        let resolved = resolve(&daemon, &sandboxes, &request)?;
        if resolved.real.is_dir() {
            return Err(Refusal::bad("Cannot download a directory."));
        }
        let file = open(&resolved, &request, false)?;
        let size = file
            .metadata()
            .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .len();
        let name = resolved
            .real
            .file_name()
            .map(OsStr::to_os_string)
            .unwrap_or_default();
        Ok((file, size, name))
    })
    .await;
    let (file, size, name) = match opened {
        Ok(Ok(opened)) => opened,
        Ok(Err(refusal)) => return refusal.response(),
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    // The size when opened is what is sent: a file that grows meanwhile is cut there (the
    // length was promised), one that shrinks ends the connection early.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::convert::Infallible>>(4);
    let file = Arc::new(file);
    tokio::spawn(async move {
        let mut sent = 0u64;
        while sent < size {
            let want = DOWNLOAD_CHUNK.min((size - sent) as usize);
            let f = file.clone();
            let at = sent;
            let chunk = tokio::task::spawn_blocking(move || {
                let mut buf = vec![0u8; want];
                let n = f.read_at(&mut buf, at)?;
                buf.truncate(n);
                Ok::<_, io::Error>(buf)
            })
            .await;
            let chunk = match chunk {
                Ok(Ok(c)) if !c.is_empty() => c,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "download: reading failed; ending the response early");
                    return;
                }
                _ => return,
            };
            sent += chunk.len() as u64;
            if tx.send(Ok(Frame::data(Bytes::from(chunk)))).await.is_err() {
                // The client went away.
                return;
            }
        }
    });
    let body = StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(rx)).boxed_unsync();
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&name)));
    h.insert(CONTENT_DISPOSITION, disposition(&name));
    h.insert(CONTENT_LENGTH, HeaderValue::from(size));
    r
}

/// `{virtual path: host path}` of every attached sandbox.
fn debug(daemon: &Daemon, sandboxes: &Sandboxes) -> Vec<u8> {
    let mut ids: std::collections::BTreeSet<String> =
        daemon.cz.list().into_iter().map(|c| c.id.clone()).collect();
    if let Ok(entries) = std::fs::read_dir(daemon.cz.context().work.containers_dir()) {
        for e in entries.flatten() {
            if let Some(id) = e.file_name().to_str() {
                if crate::task::validate::container_id(id).is_ok()
                    && e.path().join("state.json").is_file()
                {
                    ids.insert(id.to_string());
                }
            }
        }
    }
    let mut map = serde_json::Map::new();
    for id in ids {
        let sandbox = sandboxes.dir.join(&id);
        let real = std::fs::canonicalize(&sandbox).unwrap_or_else(|_| sandbox.clone());
        let real = real.display().to_string();
        map.insert(format!("{SANDBOXES_ALIAS}/{id}"), real.clone().into());
        map.insert(sandbox.display().to_string(), real.into());
    }
    let mut out = serde_json::to_vec(&map).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> HashMap<String, Vec<u8>> {
        decode_query(Some(q)).unwrap()
    }

    #[test]
    fn queries_are_decoded_once_as_the_agent_does() {
        let p = params("path=%2Fsandboxes%2Fc1%2F%2e%2e%2Fx+y&offset=3;length=-1&path2=%252e");
        assert_eq!(p["path"], b"/sandboxes/c1/../x y");
        assert_eq!(p["offset"], b"3");
        assert_eq!(p["length"], b"-1");
        assert_eq!(p["path2"], b"%2e");
        assert_eq!(params("path=%ff")["path"], vec![0xff]);
        let e = decode_query(Some("path=%zz")).unwrap_err();
        assert!(e.contains("Malformed % escape"), "{e}");
        assert!(decode_query(Some("path=%2")).is_err());
        assert_eq!(params("a=1&a=2")["a"], b"2");
    }

    #[test]
    fn offsets_and_lengths_follow_the_agent() {
        assert_eq!(read_range(&params("")).unwrap(), (-1, Some(0)));
        assert_eq!(
            read_range(&params("offset=-1&length=9")).unwrap(),
            (-1, Some(0))
        );
        assert_eq!(read_range(&params("offset=5")).unwrap(), (5, None));
        assert_eq!(
            read_range(&params("offset=5&length=-1")).unwrap(),
            (5, None)
        );
        assert_eq!(
            read_range(&params("offset=5&length=0")).unwrap(),
            (5, Some(0))
        );
        assert_eq!(
            read_range(&params("offset=0&length=10")).unwrap(),
            (0, Some(10))
        );
        let e = read_range(&params("offset=-2")).unwrap_err();
        assert_eq!(e.message, "Negative offset provided: -2.");
        let e = read_range(&params("offset=0&length=-2")).unwrap_err();
        assert_eq!(e.message, "Negative length provided: -2.");
        let e = read_range(&params("offset=abc")).unwrap_err();
        assert_eq!(
            e.message,
            "Failed to parse offset: Failed to convert 'abc' to number."
        );
    }

    #[test]
    fn reads_take_what_is_asked_from_where_it_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let f = File::open(&path).unwrap();
        assert_eq!(
            read_at(&f, 3, Some(4), 1 << 16).unwrap(),
            (10, b"3456".to_vec())
        );
        assert_eq!(read_at(&f, 8, None, 1 << 16).unwrap(), (10, b"89".to_vec()));
        assert_eq!(read_at(&f, 0, None, 4).unwrap(), (10, b"0123".to_vec()));
        assert_eq!(read_at(&f, 10, Some(5), 1 << 16).unwrap(), (10, Vec::new()));
        assert_eq!(read_at(&f, 99, None, 1 << 16).unwrap(), (10, Vec::new()));
        assert_eq!(read_at(&f, 2, Some(0), 1 << 16).unwrap(), (10, Vec::new()));
    }

    #[test]
    fn a_read_far_into_a_huge_file_reads_only_its_length() {
        // A sparse file of 1 TiB: reading all of it would never end.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge");
        let f = File::create(&path).unwrap();
        f.set_len(1 << 40).unwrap();
        f.write_at(b"tail", (1 << 40) - 4).unwrap();
        let f = File::open(&path).unwrap();
        assert_eq!(
            read_at(&f, (1 << 40) - 6, Some(100), max_read()).unwrap(),
            (1 << 40, b"\0\0tail".to_vec())
        );
    }

    #[test]
    fn modes_read_as_ls_writes_them() {
        assert_eq!(mode_string(libc::S_IFREG | 0o644), "-rw-r--r--");
        assert_eq!(mode_string(libc::S_IFDIR | 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(libc::S_IFLNK | 0o777), "lrwxrwxrwx");
        assert_eq!(mode_string(libc::S_IFIFO | 0o600), "prw-------");
    }

    #[test]
    fn downloads_are_typed_by_extension() {
        assert_eq!(
            content_type(OsStr::new("stdout")),
            "application/octet-stream"
        );
        assert_eq!(content_type(OsStr::new("notes.TXT")), "text/plain");
        assert_eq!(content_type(OsStr::new("a.tar")), "application/x-tar");
        assert_eq!(
            disposition(OsStr::from_bytes(b"we\"ird;\n\xffname")),
            "attachment; filename=we_ird___name"
        );
    }
}
