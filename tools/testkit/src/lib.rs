//! What the service's tests and the bench share: a server run as a child process, and the admin
//! API (including the wait until the persister has written every accepted order).
//!
//! It talks to the service over HTTP only and does not depend on the `flashsale` crate, so the
//! service's own tests can use it without a dependency cycle.
mod admin;
mod server;

pub use admin::AdminClient;
pub use server::ServerProcess;
