//! What the webhook receivers hand to the program: [`WebhookEvent`]s on a bounded channel
//! ([`webhook_channel`]), and the [`Job`]s each one should wake.
//!
//! # Back-pressure: a full channel coalesces, it never blocks nor refuses
//!
//! A delivery is answered `200` as soon as it is verified and parsed, whatever the consumer
//! is doing: BigCommerce and Intuit retry, and eventually deactivate, endpoints that answer
//! slowly or with errors. When the channel is full, the event is not queued; the jobs it
//! would wake are remembered in a small bit set instead, and the next
//! [`WebhookReceiver::recv`] returns one [`WebhookEvent::Coalesced`] naming them. Nothing is
//! lost by this: a woken job re-lists what changed since its cursor anyway, so "run the
//! orders job" covers every order event that did not fit.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Notify};

/// A job of the engine that an event should wake. The names are those of
/// `bc_engine::Job` (`Job::from_str(job.as_str())` maps one to the other); this crate does not
/// depend on the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    /// `"orders"`: storefront orders → ledger documents.
    Orders,
    /// `"statuses"`: status sync.
    Statuses,
    /// `"refunds"`: storefront refunds → credit memos.
    Refunds,
    /// `"shipments"`: shipments.
    Shipments,
    /// `"inventory"`: stock levels.
    Inventory,
    /// `"erp-orders"`: ledger-originated orders.
    ErpOrders,
}

impl Job {
    /// Every job, in a fixed order.
    pub const ALL: [Job; 6] = [
        Job::Orders,
        Job::Statuses,
        Job::Refunds,
        Job::Shipments,
        Job::Inventory,
        Job::ErpOrders,
    ];

    /// The engine's name for the job (`"orders"`, `"erp-orders"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Job::Orders => "orders",
            Job::Statuses => "statuses",
            Job::Refunds => "refunds",
            Job::Shipments => "shipments",
            Job::Inventory => "inventory",
            Job::ErpOrders => "erp-orders",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl std::fmt::Display for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a BigCommerce order (`store/order/*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderChange {
    /// `store/order/created`.
    Created,
    /// `store/order/updated`.
    Updated,
    /// `store/order/archived`.
    Archived,
    /// `store/order/statusUpdated`, with the status ids when the payload has them (bcsync's
    /// own status writes fire this too: the echo guard compares `to` with what it wrote).
    StatusUpdated {
        /// `data.status.previous_status_id`.
        from: Option<String>,
        /// `data.status.new_status_id`.
        to: Option<String>,
    },
}

/// What happened to a BigCommerce shipment (`store/shipment/*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShipmentChange {
    /// `store/shipment/created`.
    Created,
    /// `store/shipment/updated`.
    Updated,
    /// `store/shipment/deleted`.
    Deleted,
}

/// The operation a QuickBooks Online entity went through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerOperation {
    /// `Create` / `qbo.*.created.v1`.
    Create,
    /// `Update` / `qbo.*.updated.v1`.
    Update,
    /// `Delete` / `qbo.*.deleted.v1`.
    Delete,
    /// `Merge` / `qbo.*.merged.v1`.
    Merge,
    /// `Void` / `qbo.*.voided.v1`.
    Void,
    /// `Emailed` / `qbo.*.emailed.v1`.
    Emailed,
    /// Another operation, as sent.
    Other(String),
}

/// One changed QuickBooks Online entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntity {
    /// The entity type as the API names it: `"Invoice"`, `"Payment"`, `"CreditMemo"`.
    pub name: String,
    /// The entity's id.
    pub id: String,
    /// What happened to it.
    pub operation: LedgerOperation,
    /// When it changed (`lastUpdated`, or the CloudEvent's `time`).
    pub last_updated: Option<DateTime<Utc>>,
    /// For a merge: the id of the entity merged away (`deletedId` / `data.deletedid`).
    pub deleted_id: Option<String>,
}

/// A verified, de-duplicated webhook delivery, reduced to what the program needs to know:
/// which record changed and so which job to wake (see [`WebhookEvent::jobs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// A BigCommerce order was created, updated, archived or changed status.
    Order {
        /// The order id (`data.id`).
        id: String,
        /// What happened.
        change: OrderChange,
        /// The delivery's scope (`store/order/created`).
        scope: String,
    },
    /// A refund was created on a BigCommerce order (`store/order/refund/created`).
    Refund {
        /// The order (`data.id`).
        order_id: String,
        /// The refund (`data.refund.refund_id`), when the payload names it.
        refund_id: Option<String>,
    },
    /// A BigCommerce shipment changed (`store/shipment/*`).
    Shipment {
        /// The shipment id (`data.id`).
        id: String,
        /// Its order (`data.orderId`), when the payload names it.
        order_id: Option<String>,
        /// What happened.
        change: ShipmentChange,
    },
    /// A BigCommerce product changed (`store/product/created|updated|deleted`).
    Product {
        /// The product id (`data.id`).
        id: String,
        /// The delivery's scope.
        scope: String,
    },
    /// A BigCommerce stock level changed (`store/product/inventory/*`, `store/sku/inventory/*`).
    Inventory {
        /// The product (`data.inventory.product_id`, or `data.id` for a product scope).
        product_id: Option<String>,
        /// The variant (`data.inventory.variant_id`), for a SKU scope.
        variant_id: Option<String>,
        /// The delivery's scope.
        scope: String,
    },
    /// QuickBooks Online entities changed in one company (`realm`). The program reads them
    /// back through CDC.
    LedgerChange {
        /// The company (`realmId` / `intuitaccountid`).
        realm: String,
        /// The changed entities (new ones only: replays are removed).
        entities: Vec<LedgerEntity>,
    },
    /// The channel was full: events were not queued; run these jobs (they re-list).
    Coalesced {
        /// The jobs the dropped events would have woken.
        jobs: Vec<Job>,
    },
}

/// The jobs a ledger entity's change should wake: sales documents and payments move statuses,
/// shipments and ledger-originated orders; items move stock.
pub fn jobs_for_ledger_entity(name: &str) -> &'static [Job] {
    match name {
        "Invoice" | "SalesReceipt" | "Payment" | "CreditMemo" | "RefundReceipt" | "Estimate" => {
            &[Job::Statuses, Job::Shipments, Job::ErpOrders]
        }
        "Item" => &[Job::Inventory],
        _ => &[],
    }
}

impl WebhookEvent {
    /// The jobs this event should wake:
    /// - order created / updated / status updated / archived → `orders`, `statuses`;
    /// - order refund created → `refunds`;
    /// - shipment → `shipments`;
    /// - inventory → `inventory`; product → none (catalog changes wake no sync job);
    /// - ledger change → per entity, see [`jobs_for_ledger_entity`];
    /// - coalesced → the jobs it names.
    pub fn jobs(&self) -> Vec<Job> {
        let mut out: Vec<Job> = match self {
            WebhookEvent::Order { .. } => vec![Job::Orders, Job::Statuses],
            WebhookEvent::Refund { .. } => vec![Job::Refunds],
            WebhookEvent::Shipment { .. } => vec![Job::Shipments],
            WebhookEvent::Product { .. } => vec![],
            WebhookEvent::Inventory { .. } => vec![Job::Inventory],
            WebhookEvent::LedgerChange { entities, .. } => entities
                .iter()
                .flat_map(|e| jobs_for_ledger_entity(&e.name).iter().copied())
                .collect(),
            WebhookEvent::Coalesced { jobs } => jobs.clone(),
        };
        out.sort();
        out.dedup();
        out
    }
}

struct Overflow {
    jobs: AtomicU32,
    notify: Notify,
}

/// The sending half, given to the router (see [`crate::Deps`]). Never blocks.
#[derive(Clone)]
pub struct WebhookSender {
    tx: mpsc::Sender<WebhookEvent>,
    overflow: Arc<Overflow>,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("capacity", &self.tx.max_capacity())
            .finish()
    }
}

/// What [`WebhookSender::send`] did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Queued.
    Queued,
    /// The channel was full: its jobs were merged into the pending [`WebhookEvent::Coalesced`].
    Coalesced,
    /// The receiver is gone (the program is stopping): dropped.
    Closed,
}

impl WebhookSender {
    /// Queues `event`, or, when the channel is full, merges its jobs into the pending
    /// [`WebhookEvent::Coalesced`]. Never waits.
    pub fn send(&self, event: WebhookEvent) -> SendOutcome {
        match self.tx.try_send(event) {
            Ok(()) => SendOutcome::Queued,
            Err(mpsc::error::TrySendError::Full(event)) => {
                let bits = event.jobs().iter().fold(0u32, |acc, j| acc | j.bit());
                self.overflow.jobs.fetch_or(bits, Ordering::AcqRel);
                self.overflow.notify.notify_one();
                SendOutcome::Coalesced
            }
            Err(mpsc::error::TrySendError::Closed(_)) => SendOutcome::Closed,
        }
    }
}

/// The receiving half, kept by the program.
pub struct WebhookReceiver {
    rx: mpsc::Receiver<WebhookEvent>,
    overflow: Arc<Overflow>,
}

impl std::fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookReceiver").finish_non_exhaustive()
    }
}

impl WebhookReceiver {
    fn take_overflow(&self) -> Option<WebhookEvent> {
        let bits = self.overflow.jobs.swap(0, Ordering::AcqRel);
        if bits == 0 {
            return None;
        }
        let jobs = Job::ALL
            .into_iter()
            .filter(|j| bits & j.bit() != 0)
            .collect();
        Some(WebhookEvent::Coalesced { jobs })
    }

    /// The next event: a pending [`WebhookEvent::Coalesced`] first, then queued events in
    /// order. `None` once every sender is gone and nothing is pending.
    pub async fn recv(&mut self) -> Option<WebhookEvent> {
        loop {
            if let Some(ev) = self.take_overflow() {
                return Some(ev);
            }
            tokio::select! {
                biased;
                ev = self.rx.recv() => {
                    return match ev {
                        Some(ev) => Some(ev),
                        None => self.take_overflow(),
                    };
                }
                _ = self.overflow.notify.notified() => {}
            }
        }
    }

    /// The next event if one is ready, without waiting.
    pub fn try_recv(&mut self) -> Option<WebhookEvent> {
        if let Some(ev) = self.take_overflow() {
            return Some(ev);
        }
        self.rx.try_recv().ok()
    }
}

/// A bounded channel of `capacity` events (at least 1) between the receivers and the program.
pub fn webhook_channel(capacity: usize) -> (WebhookSender, WebhookReceiver) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let overflow = Arc::new(Overflow {
        jobs: AtomicU32::new(0),
        notify: Notify::new(),
    });
    (
        WebhookSender {
            tx,
            overflow: overflow.clone(),
        },
        WebhookReceiver { rx, overflow },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str) -> WebhookEvent {
        WebhookEvent::Order {
            id: id.into(),
            change: OrderChange::Created,
            scope: "store/order/created".into(),
        }
    }

    #[tokio::test]
    async fn a_full_channel_coalesces_into_one_wake() {
        let (tx, mut rx) = webhook_channel(1);
        assert_eq!(tx.send(order("1")), SendOutcome::Queued);
        assert_eq!(tx.send(order("2")), SendOutcome::Coalesced);
        assert_eq!(
            tx.send(WebhookEvent::Refund {
                order_id: "3".into(),
                refund_id: None
            }),
            SendOutcome::Coalesced
        );
        // The coalesced wake comes first (it stands for newer changes), then the queue.
        assert_eq!(
            rx.recv().await,
            Some(WebhookEvent::Coalesced {
                jobs: vec![Job::Orders, Job::Statuses, Job::Refunds]
            })
        );
        assert_eq!(rx.recv().await, Some(order("1")));
        assert_eq!(rx.try_recv(), None);
        drop(tx);
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn recv_waits_for_the_next_event() {
        let (tx, mut rx) = webhook_channel(1);
        assert_eq!(tx.send(order("1")), SendOutcome::Queued);
        assert_eq!(rx.recv().await, Some(order("1")));
        let waiter = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        assert_eq!(tx.send(order("2")), SendOutcome::Queued);
        assert_eq!(waiter.await.unwrap(), Some(order("2")));
    }

    #[test]
    fn jobs_per_event() {
        assert_eq!(order("1").jobs(), vec![Job::Orders, Job::Statuses]);
        let e = WebhookEvent::LedgerChange {
            realm: "1".into(),
            entities: vec![
                LedgerEntity {
                    name: "Payment".into(),
                    id: "1".into(),
                    operation: LedgerOperation::Create,
                    last_updated: None,
                    deleted_id: None,
                },
                LedgerEntity {
                    name: "Customer".into(),
                    id: "2".into(),
                    operation: LedgerOperation::Update,
                    last_updated: None,
                    deleted_id: None,
                },
            ],
        };
        assert_eq!(
            e.jobs(),
            vec![Job::Statuses, Job::Shipments, Job::ErpOrders]
        );
        assert_eq!(Job::ErpOrders.as_str(), "erp-orders");
    }
}
