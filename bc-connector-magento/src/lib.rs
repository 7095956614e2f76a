//! bc-connector-magento (being built).
