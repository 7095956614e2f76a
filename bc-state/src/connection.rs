//! Connection names: the tenant key every row of the state database carries.

use bc_core::{Error, Result};

/// The connection a store handle uses unless told otherwise.
pub const DEFAULT_CONNECTION: &str = "default";

/// The longest connection name accepted.
pub const MAX_CONNECTION_NAME: usize = 64;

/// Checks a connection name: 1 to [`MAX_CONNECTION_NAME`] ASCII letters, digits, `-`, `_` or
/// `.` (it appears in `bcsync status`, logs and `--connection`; no spaces, no quoting).
pub fn check_connection_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_CONNECTION_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            "connection",
            format!(
                "`{name}` is not a valid connection name (1 to {MAX_CONNECTION_NAME} letters, digits, `-`, `_` or `.`)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_connection_name("acme-eu.1_b").is_ok());
        for bad in ["", "a b", "a'b", "ü", &"x".repeat(65)] {
            let e = check_connection_name(bad).unwrap_err();
            assert!(e.to_string().contains("connection"), "{e}");
        }
    }
}
