//! The subcommands of `bcsync`.

pub mod init;
pub mod sandbox;
