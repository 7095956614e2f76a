//! How a command ended: the exit codes of `bcsync`, and the error every command returns.

use std::fmt;

/// The exit codes (documented in `bcsync --help` and the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything asked for was done.
    Ok = 0,
    /// 1: an unexpected error (a bug, a file that cannot be written…).
    Error = 1,
    /// 2: the command line is wrong (clap's usage errors).
    Usage = 2,
    /// 3: the command ran, but some items failed or would fail (they are in the exception
    /// queue, or listed by `check --online`).
    ItemsFailed = 3,
    /// 4: the settings are wrong (the message names the key).
    Config = 4,
    /// 5: a platform refused the credentials (the message names the setting).
    Auth = 5,
    /// 6: a platform or the state store is unavailable (try again later).
    Unavailable = 6,
}

/// The exit codes as `--help` prints them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  done
  1  unexpected error
  2  wrong command line
  3  some items failed or would fail (see `bcsync exceptions list`, or what `check --online` printed)
  4  settings error (the message names the key)
  5  a platform refused the credentials (the message names the setting)
  6  a platform or the state store is unavailable (try again later)";

impl Exit {
    /// A short name for `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Error => "error",
            Exit::Usage => "usage",
            Exit::ItemsFailed => "items_failed",
            Exit::Config => "config",
            Exit::Auth => "auth",
            Exit::Unavailable => "unavailable",
        }
    }

    /// The exit code of a bcsync error's kind.
    pub fn of_kind(kind: bc_core::ErrorKind) -> Exit {
        use bc_core::ErrorKind as K;
        match kind {
            K::Config | K::Mapping => Exit::Config,
            K::Unauthenticated | K::Forbidden => Exit::Auth,
            K::Unavailable | K::RateLimited => Exit::Unavailable,
            _ => Exit::Error,
        }
    }
}

/// A command's failure: what to print and which exit code to end with.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// The message (names the setting, the order…; never a secret).
    pub message: String,
    /// The command already printed its result as JSON on stdout (`--json`): stdout stays one
    /// document, the message goes to stderr only.
    pub json_printed: bool,
}

impl CliError {
    /// A failure with this exit code.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: message.into(),
            json_printed: false,
        }
    }

    /// The same failure, after the command printed its JSON result.
    pub fn after_json(mut self, printed: bool) -> Self {
        self.json_printed = printed;
        self
    }

    /// A settings error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Exit::Config, message)
    }

    /// Some items failed (or would fail).
    pub fn items_failed(message: impl Into<String>) -> Self {
        Self::new(Exit::ItemsFailed, message)
    }

    /// A bcsync error, with `context` before it; the exit code follows its kind.
    pub fn core(context: &str, e: &bc_core::Error) -> Self {
        let message = if context.is_empty() {
            e.to_string()
        } else {
            format!("{context}: {e}")
        };
        Self::new(Exit::of_kind(e.kind()), message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError::new(Exit::Error, message)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        CliError::new(Exit::Error, message)
    }
}

/// What a command returns.
pub type CliResult<T = ()> = Result<T, CliError>;
