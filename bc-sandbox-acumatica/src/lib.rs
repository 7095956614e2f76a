//! bc-sandbox-acumatica (being built).
