//! The live sale page: the page itself (`GET /admin/dashboard`), its event stream
//! (`GET /admin/dashboard/events`) and the feed behind the stream.
mod events;
mod feed;
mod page;

pub use events::events;
pub use page::page;
