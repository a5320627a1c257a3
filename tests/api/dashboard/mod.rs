//! The live sale page: its HTTP contract (`events.rs`) and the page rendered in a real
//! headless Chromium during a burst (`browser.rs`).
mod browser;
mod events;
