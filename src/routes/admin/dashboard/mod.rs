//! The live sale page: the page itself (`GET /admin/dashboard`), its event stream
//! (`GET /admin/dashboard/events`) and the feed behind the stream.
pub(super) mod events;
mod feed;
pub(super) mod page;

pub use events::events;
pub use page::page;
