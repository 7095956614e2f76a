//! The subcommands of `bcsync`.

pub mod connect;
pub mod demo;
pub mod init;
pub mod sandbox;
pub mod service;
pub mod status;
