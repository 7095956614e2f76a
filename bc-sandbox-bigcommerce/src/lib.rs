//! bc-sandbox-bigcommerce (work in progress).
