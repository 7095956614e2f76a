//! bc-sandbox-qbo (work in progress).
