//! The StateStore conformance suite against the in-memory store.

#[tokio::test]
async fn memory_state_store_passes_the_conformance_suite() {
    let store = bc_engine::MemoryStateStore::new();
    bc_engine::state_conformance::run_all(&store).await;
}
