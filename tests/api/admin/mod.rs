//! The admin API: creating, reading, preloading and restocking sales.
mod access;
mod preload;
mod restock;
mod sales;
