//! bc-connector-qbo (work in progress).
