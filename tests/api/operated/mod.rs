//! Admin actions on a sale while it sells: reconcile, restock, create and preload racing the
//! buyers and the persister keep the promise (no 202 beyond the stock, no accepted order lost).
mod admin_writes_converge;
mod concurrent_preloads;
mod many_instances;
mod reconcile_during_drain;
