//! bc-sandbox-magento (being built).
