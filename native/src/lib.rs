//! kerio-watch's native core: reading, framing and parsing Kerio logs, and the
//! Queue-ID join, exactly as the pure-Python engine does them.
//!
//! The Python binding (module `kerio_watch._native`) is built with the `python`
//! feature; without it the crate is plain Rust (tests, fuzzing).

pub mod activity;
pub mod audit;
pub mod book;
pub mod control;
pub mod frame;
pub mod join;
pub mod mail;
pub mod ops;
pub mod parsed;
pub mod scan;
pub mod smtp;
pub mod smtpnet;
pub mod smtpq;
pub mod text;

#[cfg(feature = "python")]
mod py;
#[cfg(feature = "python")]
mod pyactivity;
#[cfg(feature = "python")]
mod pybook;
#[cfg(feature = "python")]
mod pylearn;
#[cfg(feature = "python")]
mod pylogs;
#[cfg(feature = "python")]
mod pysmtp;
#[cfg(feature = "python")]
mod pysmtpq;
