//! A container's output, attached through the Engine API before the container starts (so
//! nothing it prints is lost) and copied into two writers (the executor's stdout and stderr,
//! which are the sandbox's files) byte for byte and in order.
//!
//! Blocking and on a thread of its own: the copy is a tight read/write loop that must keep
//! up with a chatty task and must not hold up the executor's event loop, and a thread left
//! reading when the executor exits costs nothing.
//!
//! Without a TTY the daemon multiplexes both streams on one connection: frames of an 8-byte
//! header (stream byte, three zero bytes, big-endian length) and that many bytes of payload.
//! With a TTY (`DockerInfo.parameters` can ask for one) the stream is raw and all of it is
//! stdout. [`Demuxer`] is the pure frame parser.

use docker_cli::DockerError;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Read size of the copy loop; the daemon sends frames of up to 32 KiB.
const READ_CHUNK: usize = 128 * 1024;
/// The longest response head we accept before the stream.
const HEAD_MAX: usize = 16 * 1024;

/// Which stream a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Stdout,
    Stderr,
    /// The daemon's own error about the stream (stream byte 3), shown on stderr.
    System,
}

/// A frame header no daemon sends: the stream is not what we asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the attach stream is not multiplexed as expected: frame header {header:02x?}")]
pub struct DemuxError {
    pub header: [u8; 8],
}

/// Incremental parser of the multiplexed stream: feed it bytes as they come, in any
/// chunking, and it hands out each payload piece with its stream.
#[derive(Debug, Default)]
pub struct Demuxer {
    header: [u8; 8],
    have: usize,
    remaining: usize,
    kind: Option<StreamKind>,
}

impl Demuxer {
    /// Parses `input`, calling `out` for every payload piece in order. After an error the
    /// rest of the stream cannot be framed and should not be fed.
    pub fn feed(
        &mut self,
        mut input: &[u8],
        mut out: impl FnMut(StreamKind, &[u8]),
    ) -> Result<(), DemuxError> {
        while !input.is_empty() {
            if self.remaining == 0 {
                let take = (8 - self.have).min(input.len());
                self.header[self.have..self.have + take].copy_from_slice(&input[..take]);
                self.have += take;
                input = &input[take..];
                if self.have < 8 {
                    return Ok(());
                }
                self.have = 0;
                let kind = match self.header[0] {
                    // Stdin frames only come back with a TTY, which is not multiplexed;
                    // docker's own demultiplexer writes them to stdout.
                    0 | 1 => StreamKind::Stdout,
                    2 => StreamKind::Stderr,
                    3 => StreamKind::System,
                    _ => {
                        return Err(DemuxError {
                            header: self.header,
                        })
                    }
                };
                if self.header[1..4] != [0, 0, 0] {
                    return Err(DemuxError {
                        header: self.header,
                    });
                }
                let len = u32::from_be_bytes([
                    self.header[4],
                    self.header[5],
                    self.header[6],
                    self.header[7],
                ]);
                self.kind = Some(kind);
                self.remaining = len as usize;
                continue;
            }
            let take = self.remaining.min(input.len());
            out(self.kind.unwrap_or(StreamKind::Stdout), &input[..take]);
            self.remaining -= take;
            input = &input[take..];
        }
        Ok(())
    }

    /// True between frames: a stream that ends here ended cleanly.
    pub fn at_frame_boundary(&self) -> bool {
        self.have == 0 && self.remaining == 0
    }
}

/// How a copy went.
#[derive(Debug, Default)]
pub struct CopyReport {
    /// Payload bytes of each stream.
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    /// The daemon's own error frames, if it sent any.
    pub system_message: Option<String>,
    /// Why the copy ended other than by the daemon closing the stream between frames.
    pub error: Option<String>,
    /// The first failed write to either writer; the copy went on draining the stream so
    /// that the container never blocks on a full pipe.
    pub write_error: Option<String>,
}

/// An attachment to a container's stdout and stderr that the daemon has accepted.
#[derive(Debug)]
pub struct Attachment {
    stream: UnixStream,
    /// Stream bytes that arrived with the response head.
    early: Vec<u8>,
}

impl Attachment {
    /// Attaches to `container`'s stdout and stderr through the daemon at `socket`. Returns
    /// once the daemon accepted: from then on everything the container writes comes here.
    /// Bounded by `timeout`.
    pub fn open(socket: &Path, container: &str, timeout: Duration) -> Result<Self, DockerError> {
        let op = format!("attach to container {container}");
        let unreachable = |reason: String| DockerError::Unreachable {
            op: op.clone(),
            socket: socket.display().to_string(),
            reason,
        };
        let mut stream = UnixStream::connect(socket).map_err(|e| unreachable(e.to_string()))?;
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(|e| unreachable(e.to_string()))?;
        let request = format!(
            "POST /containers/{}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n\
             Host: docker\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
            crate::http::segment(container)
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| unreachable(e.to_string()))?;
        let mut head = Vec::with_capacity(1024);
        let mut buf = [0u8; 4096];
        let end = loop {
            if let Some(end) = find(&head, b"\r\n\r\n") {
                break end + 4;
            }
            if head.len() > HEAD_MAX {
                return Err(DockerError::parse(
                    "attach",
                    "the answer's head is too long",
                ));
            }
            let n = match stream.read(&mut buf) {
                Ok(0) => return Err(unreachable("the daemon closed the connection".into())),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(DockerError::Timeout {
                        op: format!("'{op}'"),
                        after: timeout,
                    })
                }
                Err(e) => return Err(unreachable(e.to_string())),
            };
            head.extend_from_slice(&buf[..n]);
        };
        let status = status_code(&head[..end]).ok_or_else(|| {
            DockerError::parse(
                "attach",
                "the answer does not start with an HTTP status line",
            )
        })?;
        if status != 101 && status != 200 {
            // The error body follows the head; what arrived with it is enough for a message.
            let message = crate::http::error_message(&head[end..]);
            if status == 404 && crate::containers::is_missing_container(&message) {
                return Err(DockerError::NotFound {
                    kind: docker_cli::ObjectKind::Container,
                    name: container.to_string(),
                });
            }
            return Err(DockerError::Api {
                op,
                status,
                message,
            });
        }
        stream
            .set_read_timeout(None)
            .and_then(|()| stream.set_write_timeout(None))
            .map_err(|e| unreachable(e.to_string()))?;
        Ok(Self {
            early: head.split_off(end),
            stream,
        })
    }

    /// Copies the stream into `stdout` and `stderr` until the daemon closes it (the
    /// container's output ended: it exited, or the daemon went away). Raw into `stdout` when
    /// the container has a TTY.
    pub fn copy_to(
        mut self,
        tty: bool,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> CopyReport {
        let mut report = CopyReport::default();
        let mut demux = Demuxer::default();
        let mut buf = vec![0u8; READ_CHUNK];
        let mut pending = std::mem::take(&mut self.early);
        let mut system = Vec::new();
        loop {
            let chunk: &[u8] = if !pending.is_empty() {
                &pending
            } else {
                match self.stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => &buf[..n],
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        report.error = Some(format!("reading the attach stream failed: {e}"));
                        break;
                    }
                }
            };
            if tty {
                report.stdout_bytes += chunk.len() as u64;
                write_or_note(stdout, chunk, &mut report.write_error);
            } else {
                let result = demux.feed(chunk, |kind, piece| match kind {
                    StreamKind::Stdout => {
                        report.stdout_bytes += piece.len() as u64;
                        write_or_note(stdout, piece, &mut report.write_error);
                    }
                    StreamKind::Stderr => {
                        report.stderr_bytes += piece.len() as u64;
                        write_or_note(stderr, piece, &mut report.write_error);
                    }
                    StreamKind::System => {
                        if system.len() < 4096 {
                            system.extend_from_slice(piece);
                        }
                        write_or_note(stderr, piece, &mut report.write_error);
                    }
                });
                if let Err(e) = result {
                    report.error = Some(e.to_string());
                    break;
                }
            }
            pending.clear();
        }
        if report.error.is_none() && !tty && !demux.at_frame_boundary() {
            report.error = Some("the attach stream ended in the middle of a frame".into());
        }
        let _ = stdout.flush();
        let _ = stderr.flush();
        if !system.is_empty() {
            report.system_message = Some(String::from_utf8_lossy(&system).trim().to_string());
        }
        report
    }
}

/// Writes all of `data`; the first failure is noted and later writes still attempted (a
/// full disk may drain).
fn write_or_note(out: &mut dyn Write, data: &[u8], note: &mut Option<String>) {
    if let Err(e) = out.write_all(data) {
        if note.is_none() {
            *note = Some(e.to_string());
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The status code of an HTTP/1.x response head.
fn status_code(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.split(' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![kind, 0, 0, 0];
        out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn demux_in_chunks(stream: &[u8], chunk: usize) -> (Vec<u8>, Vec<u8>, Result<(), DemuxError>) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut d = Demuxer::default();
        for piece in stream.chunks(chunk.max(1)) {
            let r = d.feed(piece, |kind, data| match kind {
                StreamKind::Stdout => out.extend_from_slice(data),
                _ => err.extend_from_slice(data),
            });
            if r.is_err() {
                return (out, err, r);
            }
        }
        (out, err, Ok(()))
    }

    #[test]
    fn frames_are_split_by_stream_whatever_the_chunking() {
        let mut stream = frame(1, b"hello ");
        stream.extend(frame(2, b"oops\n"));
        stream.extend(frame(1, b""));
        stream.extend(frame(1, b"world\n"));
        stream.extend(frame(0, b"!"));
        for chunk in 1..=stream.len() {
            let (out, err, r) = demux_in_chunks(&stream, chunk);
            assert_eq!(r, Ok(()));
            assert_eq!(out, b"hello world\n!", "chunk {chunk}");
            assert_eq!(err, b"oops\n", "chunk {chunk}");
        }
    }

    #[test]
    fn a_header_no_daemon_sends_is_an_error() {
        let (_, _, r) = demux_in_chunks(b"\x07\0\0\0\0\0\0\x01x", 3);
        assert!(r.is_err());
        let (_, _, r) = demux_in_chunks(b"\x01\x01\0\0\0\0\0\x01x", 3);
        assert!(r.is_err());
    }

    #[test]
    fn the_frame_boundary_is_known() {
        let mut d = Demuxer::default();
        assert!(d.at_frame_boundary());
        d.feed(&frame(1, b"abc")[..5], |_, _| {}).unwrap();
        assert!(!d.at_frame_boundary());
        d.feed(&frame(1, b"abc")[5..], |_, _| {}).unwrap();
        assert!(d.at_frame_boundary());
    }

    #[test]
    fn status_codes_of_response_heads() {
        assert_eq!(
            status_code(b"HTTP/1.1 101 UPGRADED\r\nA: b\r\n\r\n"),
            Some(101)
        );
        assert_eq!(status_code(b"HTTP/1.0 404 Not Found\r\n\r\n"), Some(404));
        assert_eq!(status_code(b"SSH-2.0\r\n\r\n"), None);
    }
}
