//! The libprocess message transport, as Mesos's v0 executor protocol uses it.
//!
//! A libprocess peer is a process id ([`Upid`], `executor(1)@10.0.0.5:41234`): an actor name
//! at an address where that peer accepts HTTP/1.1. A message is a `POST /<receiver>/<name>`
//! whose `Libprocess-From` header names the sender and whose body is the protobuf-encoded
//! message. The receiver answers `202 Accepted`, which the sender ignores: delivery is
//! one-way, and replies travel as messages on the receiver's own connection to the sender.
//!
//! - [`upid`]: parsing and printing process ids.
//! - [`wire`]: encoding a message, and an incremental decoder of the requests a peer sends.
//! - [`transport`]: an [`transport::Inbox`] that accepts peers' messages and a
//!   [`transport::Link`], a persistent connection to one peer whose end tells that the peer
//!   went away (libprocess's `exited` event).

pub mod transport;
pub mod upid;
pub mod wire;

pub use transport::{Inbox, Link, LinkError};
pub use upid::{Upid, UpidError};
pub use wire::{Message, RequestDecoder, WireError};
