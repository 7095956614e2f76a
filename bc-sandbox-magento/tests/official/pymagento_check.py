"""Drive PyMagento (PyPI `pymagento`, Bixoto's maintained Magento 2 client) against the sandbox.

Environment: PYMAGENTO_BASE_URL, PYMAGENTO_TOKEN (the integration token; the sandbox allows
it as a standalone Bearer token, as a store with that admin setting on does). Prints one JSON
summary line at the end.
"""
import json
import os
import sys

from magento import Magento
from magento.exceptions import MagentoException
from magento.queries import make_search_query

client = Magento(base_url=os.environ["PYMAGENTO_BASE_URL"], token=os.environ["PYMAGENTO_TOKEN"],
                 batch_page_size=int(os.environ.get("PYMAGENTO_PAGE", "100")))

processing = list(client.get_orders(status="processing"))
assert processing, "no processing order"
assert all(o["status"] == "processing" for o in processing)
total = client.get_total_orders_count()
everything = list(client.get_orders())
assert len(everything) == total, (len(everything), total)

# OR inside a group, AND across groups.
query = make_search_query([[("status", "pending", "eq"), ("status", "complete", "eq")],
                           [("order_currency_code", "USD", "eq")]])
both = list(client.get_orders(query=query))
assert all(o["status"] in ("pending", "complete") and o["order_currency_code"] == "USD" for o in both)

order = client.get_order(processing[0]["entity_id"])
assert order["increment_id"] == processing[0]["increment_id"]
item = order["items"][0]
shipment_id = client.ship_order(order["entity_id"], {
    "items": [{"order_item_id": item["item_id"], "qty": 1}],
    "tracks": [{"track_number": "1Z999AA10123456784", "title": "United Parcel Service", "carrier_code": "ups"}],
    "notify": True,
})
shipments = list(client.get_order_shipments(order["entity_id"]))
assert any(str(s["entity_id"]) == str(shipment_id) for s in shipments), shipments

pending = next(o for o in everything if o["state"] == "new")
assert client.hold_order(pending["entity_id"]) is True
assert client.get_order(pending["entity_id"])["state"] == "holded"
assert client.unhold_order(pending["entity_id"]) is True

client.save_source_items([{"sku": item["sku"], "source_code": "default", "quantity": 42, "status": 1}])
levels = list(client.get_source_items(source_code="default", sku=item["sku"]))
assert levels and float(levels[0]["quantity"]) == 42.0, levels

memos = list(client.get_credit_memos())
customers = list(client.get_customers())
products = list(client.get_products(limit=50))

refused = None
canceled = next((o for o in everything if o["state"] == "canceled"), None)
if canceled is not None:
    try:
        client.ship_order(canceled["entity_id"], {"tracks": []})
    except MagentoException as e:
        refused = str(e)

print(json.dumps({
    "processing": len(processing), "orders": total, "pending_or_complete_usd": len(both),
    "shipped_order": order["entity_id"], "shipment": str(shipment_id), "credit_memos": len(memos),
    "customers": len(customers), "products": len(products), "canceled_ship_refused": refused,
}))
sys.exit(0)
