//! Sockets: the [`Inbox`] where peers deliver messages to us, and [`Link`]s, our persistent
//! connections to a peer.
//!
//! As in libprocess, the two directions are separate connections: a peer sends to us on a
//! connection it opened to our inbox, and we send to it on a link we opened to its address.
//! A link is also how we learn that the peer went away: libprocess peers never close a
//! connection they accepted, so its end means the peer's process ended (libprocess's
//! `exited` event).

use crate::wire::{Message, RequestDecoder, ACCEPTED};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

/// What can go wrong on a link.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("cannot connect to {peer}: {source}")]
    Connect {
        peer: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("connecting to {peer} took longer than {timeout:?}")]
    ConnectTimeout { peer: SocketAddr, timeout: Duration },
    #[error("sending to {peer} failed: {source}")]
    Send {
        peer: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("sending to {peer} took longer than {timeout:?}")]
    SendTimeout { peer: SocketAddr, timeout: Duration },
    #[error("the connection to {peer} is closed")]
    Closed { peer: SocketAddr },
}

/// Where peers deliver messages to us: a listening socket and the messages read off every
/// connection it accepted, in arrival order per connection.
pub struct Inbox {
    local: SocketAddr,
    rx: mpsc::UnboundedReceiver<Message>,
}

impl Inbox {
    /// Listens on `addr` (port 0: any free port) and starts accepting on the current
    /// runtime.
    pub async fn bind(addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(accept_loop(listener, tx));
        Ok(Self { local, rx })
    }

    /// The address we listen on (the port is the real one when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The next message from any peer; `None` only if accepting stopped.
    pub async fn recv(&mut self) -> Option<Message> {
        self.rx.recv().await
    }
}

async fn accept_loop(listener: TcpListener, tx: mpsc::UnboundedSender<Message>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, peer, tx.clone()));
            }
            Err(e) => {
                // Out of fds and the like: wait rather than spin; peers retry.
                tracing::warn!(error = %e, "libprocess inbox: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        if tx.is_closed() {
            return;
        }
    }
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, tx: mpsc::UnboundedSender<Message>) {
    let (mut read, mut write) = stream.into_split();
    let mut decoder = RequestDecoder::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match read.read(&mut buf).await {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "libprocess inbox: connection ended");
                return;
            }
        };
        decoder.feed(&buf[..n]);
        loop {
            match decoder.next_request() {
                Ok(None) => break,
                Ok(Some(request)) => {
                    let answer: &[u8] = match Message::from_request(request) {
                        Ok(message) => {
                            if tx.send(message).is_err() {
                                return;
                            }
                            ACCEPTED
                        }
                        Err(e) => {
                            tracing::debug!(%peer, error = %e, "libprocess inbox: not a message");
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                        }
                    };
                    // The sender ignores answers; a failed write only means it left.
                    if write.write_all(answer).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(%peer, error = %e, "libprocess inbox: dropping a connection that sent a malformed request");
                    let _ = write
                        .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .await;
                    return;
                }
            }
        }
    }
}

/// A persistent connection to one peer, for sending to it and for noticing its end.
pub struct Link {
    peer: SocketAddr,
    local: SocketAddr,
    writer: OwnedWriteHalf,
    closed: watch::Receiver<bool>,
}

impl Link {
    /// Connects to `peer` within `timeout`.
    pub async fn connect(peer: SocketAddr, timeout: Duration) -> Result<Self, LinkError> {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(peer)).await {
            Err(_) => return Err(LinkError::ConnectTimeout { peer, timeout }),
            Ok(Err(source)) => return Err(LinkError::Connect { peer, source }),
            Ok(Ok(s)) => s,
        };
        let _ = stream.set_nodelay(true);
        set_keepalive(&stream);
        let local = stream
            .local_addr()
            .map_err(|source| LinkError::Connect { peer, source })?;
        let (mut read, writer) = stream.into_split();
        let (closed_tx, closed) = watch::channel(false);
        tokio::spawn(async move {
            // The peer's answers (202s) mean nothing; only the end of the stream does.
            let mut sink = vec![0u8; 4096];
            loop {
                match read.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            let _ = closed_tx.send(true);
        });
        Ok(Self {
            peer,
            local,
            writer,
            closed,
        })
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Our end's address: the address the peer sees us at.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Writes one encoded message (see [`crate::wire::encode`]) within `timeout`.
    pub async fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        if self.is_closed() {
            return Err(LinkError::Closed { peer: self.peer });
        }
        let peer = self.peer;
        match tokio::time::timeout(timeout, self.writer.write_all(bytes)).await {
            Err(_) => Err(LinkError::SendTimeout { peer, timeout }),
            Ok(Err(source)) => Err(LinkError::Send { peer, source }),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// True once the peer closed the connection.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// Resolves when the peer closes the connection (or it breaks).
    pub fn closed(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.closed.clone();
        async move {
            let _ = rx.wait_for(|closed| *closed).await;
        }
    }
}

/// Turns on TCP keepalive probes, so a peer whose host vanished is noticed (best effort).
fn set_keepalive(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: setsockopt on an open socket fd with a correctly sized int option.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &on as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
