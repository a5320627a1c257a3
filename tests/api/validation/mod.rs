//! Bad input: every kind gets its documented problem document and changes nothing.
mod admin;
mod http;
mod orders;
