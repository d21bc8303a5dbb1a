//! Response bodies: a fixed text, or the endless RecordIO event stream of a subscription.

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Runs a closure when the subscription body is dropped, i.e. when hyper is done with the
/// response: the connection broke, or the stream was ended by us.
pub(crate) struct OnDrop(Option<Box<dyn FnOnce() + Send + Sync>>);

impl OnDrop {
    pub(crate) fn new(f: impl FnOnce() + Send + Sync + 'static) -> Self {
        Self(Some(Box::new(f)))
    }
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

/// The body of every response the endpoint sends.
pub(crate) enum ResponseBody {
    /// A complete body (possibly empty).
    Full(Option<Bytes>),
    /// RecordIO records, each sent as its own chunk as they are queued; ends when the sender
    /// side is dropped.
    Stream {
        records: mpsc::UnboundedReceiver<Bytes>,
        _on_drop: OnDrop,
    },
}

impl ResponseBody {
    pub(crate) fn empty() -> Self {
        ResponseBody::Full(None)
    }

    pub(crate) fn text(text: impl Into<String>) -> Self {
        ResponseBody::Full(Some(Bytes::from(text.into())))
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ResponseBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            ResponseBody::Stream { records, .. } => records
                .poll_recv(cx)
                .map(|r| r.map(|bytes| Ok(Frame::data(bytes)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ResponseBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(data) => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            ResponseBody::Stream { .. } => SizeHint::default(),
        }
    }
}

/// The body of an executor API response returned by [`crate::AgentEndpoint::handle`]: a
/// complete text, or a subscription's never-ending RecordIO event stream (dropping it is
/// the executor's disconnection).
pub struct ExecutorApiBody(ResponseBody);

impl From<ResponseBody> for ExecutorApiBody {
    fn from(body: ResponseBody) -> Self {
        Self(body)
    }
}

impl std::fmt::Debug for ExecutorApiBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.0 {
            ResponseBody::Full(_) => "full",
            ResponseBody::Stream { .. } => "stream",
        };
        f.debug_tuple("ExecutorApiBody").field(&kind).finish()
    }
}

impl Body for ExecutorApiBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.get_mut().0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}
