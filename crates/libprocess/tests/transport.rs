//! The inbox and links over real loopback sockets.

use libprocess::{wire, Inbox, Link, Upid};
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn messages_arrive_in_order_and_a_peer_end_is_noticed() {
    let mut inbox = Inbox::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let me = Upid::new("executor(1)", inbox.local_addr());
    assert_ne!(me.addr.port(), 0);

    let mut link = Link::connect(me.addr, T).await.unwrap();
    let from = Upid::new("slave(1)", link.local_addr());
    for i in 0..50u8 {
        let body = vec![i; i as usize * 100];
        link.send(&wire::encode(&from, &me, &format!("m.{i}"), &body), T)
            .await
            .unwrap();
    }
    for i in 0..50u8 {
        let m = tokio::time::timeout(T, inbox.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.from, from);
        assert_eq!(m.to, "executor(1)");
        assert_eq!(m.name, format!("m.{i}"));
        assert_eq!(m.body, vec![i; i as usize * 100]);
    }
    assert!(!link.is_closed());

    // A peer that closes its end: the link says so.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let link = Link::connect(addr, T).await.unwrap();
    let (conn, _) = listener.accept().await.unwrap();
    drop(conn);
    tokio::time::timeout(T, link.closed()).await.unwrap();
    assert!(link.is_closed());
}

#[tokio::test]
async fn a_malformed_request_drops_only_its_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut inbox = Inbox::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut bad = tokio::net::TcpStream::connect(inbox.local_addr())
        .await
        .unwrap();
    bad.write_all(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(T, bad.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 400"));

    let me = Upid::new("executor(1)", inbox.local_addr());
    let mut link = Link::connect(me.addr, T).await.unwrap();
    let from = Upid::new("slave(1)", link.local_addr());
    link.send(&wire::encode(&from, &me, "still.Here", b"x"), T)
        .await
        .unwrap();
    let m = tokio::time::timeout(T, inbox.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.name, "still.Here");
}

#[tokio::test]
async fn connecting_to_nobody_is_an_error_naming_the_peer() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = Link::connect(addr, T).await.err().unwrap();
    assert!(e.to_string().contains(&addr.to_string()), "{e}");
}
