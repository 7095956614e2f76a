//! Building QBO queries (`SELECT * FROM Invoice WHERE DocNumber = 'BC-1001'`) with literals
//! escaped: a quote becomes `\'` and a backslash `\\`, so a customer called `Amy's Bird` or an
//! order number with a quote cannot break out of the literal. (There is no `LIKE` helper:
//! bcsync filters only on fields QBO marks filterable, see [`crate::ledger::search`].)

/// A quoted, escaped string literal.
///
/// ```
/// use bc_connector_qbo::query::literal;
/// assert_eq!(literal("Amy's Bird"), r"'Amy\'s Bird'");
/// ```
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            // Control characters have no place in a name or a number; QBO rejects them.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `SELECT * FROM {entity} WHERE {field} = '{value}'`.
pub fn select_eq(entity: &str, field: &str, value: &str) -> String {
    format!("SELECT * FROM {entity} WHERE {field} = {}", literal(value))
}

/// `SELECT * FROM {entity} WHERE {field} IN ('a', 'b', …)`.
pub fn select_in<'a>(
    entity: &str,
    field: &str,
    values: impl IntoIterator<Item = &'a str>,
) -> String {
    let list: Vec<String> = values.into_iter().map(literal).collect();
    format!(
        "SELECT * FROM {entity} WHERE {field} IN ({}) MAXRESULTS 1000",
        list.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(literal(r"a\'b"), r"'a\\\'b'");
        assert_eq!(
            select_eq("Customer", "DisplayName", "O'Brien"),
            r"SELECT * FROM Customer WHERE DisplayName = 'O\'Brien'"
        );
        assert_eq!(literal("a\nb"), "'a b'");
    }

    #[test]
    fn in_lists() {
        assert_eq!(
            select_in("Item", "Sku", ["A", "B'"]),
            r"SELECT * FROM Item WHERE Sku IN ('A', 'B\'') MAXRESULTS 1000"
        );
    }
}
