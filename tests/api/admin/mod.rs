//! The admin API: creating, reading, listing, preloading, restocking, pausing and ending sales.
mod access;
mod buckets;
mod cli;
mod list;
mod listener;
mod operator_controls;
mod pause_under_load;
mod preload;
mod restock;
mod sales;
