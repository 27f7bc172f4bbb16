//! Server-sent event streams that end with what they follow: after its last event, not
//! on the client's next reconnect.

use std::convert::Infallible;

use axum::response::sse::Event;
use futures::{Stream, StreamExt};

/// `items` as events (`event` renders each), ending right after the first one `is_last`
/// holds for: a `None` follows it and stops the stream.
pub fn until_last<T>(
    items: impl Stream<Item = T> + Send + 'static,
    is_last: fn(&T) -> bool,
    event: fn(&T) -> Result<Event, Infallible>,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static
where
    T: Send + 'static,
{
    items
        .flat_map(move |item| {
            let last = is_last(&item);
            let events = std::iter::once(Some(event(&item))).chain(last.then_some(None));
            futures::stream::iter(events)
        })
        .take_while(|item| futures::future::ready(item.is_some()))
        .filter_map(futures::future::ready)
}
