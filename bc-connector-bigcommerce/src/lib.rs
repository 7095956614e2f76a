//! bc-connector-bigcommerce (work in progress).
