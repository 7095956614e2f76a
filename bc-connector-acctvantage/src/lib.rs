//! bc-connector-acctvantage (work in progress).
