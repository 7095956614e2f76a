//! bc-connector-acumatica (being built).
