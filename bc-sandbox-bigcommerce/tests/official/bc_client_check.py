"""Drive the sandbox with BigCommerce's official Python client (PyPI `bigcommerce`), unchanged.

The client always builds `https://{host}/stores/{hash}/v2/...` URLs. Two things point it at the
sandbox, neither touching the client's code:
  * its own documented setting BC_API_ENDPOINT (the API host) = 127.0.0.1:PORT, and
  * a requests transport adapter mounted on its session for "https://" that sends the same
    request over plain http (the sandbox serves plain http on loopback).

Env: BC_API_ENDPOINT, BC_STORE_HASH, BC_ACCESS_TOKEN. Prints one JSON summary line; exit 0 on success.
"""
import json
import os
import sys

import requests
from requests.adapters import HTTPAdapter

import bigcommerce


class PlainHttpAdapter(HTTPAdapter):
    """Transport: send https:// requests as http:// (loopback sandbox has no TLS)."""

    def send(self, request, **kwargs):
        if request.url.startswith("https://"):
            request.url = "http://" + request.url[len("https://"):]
        return super().send(request, **kwargs)


def main():
    api = bigcommerce.api.BigcommerceApi(
        client_id="sandbox-client",
        store_hash=os.environ["BC_STORE_HASH"],
        access_token=os.environ["BC_ACCESS_TOKEN"],
    )
    api.connection._session.mount("https://", PlainHttpAdapter())

    # List and read orders.
    orders = api.Orders.all(limit=50)
    assert len(orders) == 50, len(orders)
    awaiting = [o for o in orders if o.status_id == 11]
    assert awaiting, "no order awaiting fulfillment"
    order = api.Orders.get(awaiting[0].id)
    assert order.id == awaiting[0].id
    assert order.total_inc_tax.count(".") == 1 and len(order.total_inc_tax.split(".")[1]) == 4
    products = order.products()
    assert products, "order has no products"
    addresses = order.shipping_addresses()
    assert addresses, "order has no shipping address"
    count = api.Orders.count()
    assert count >= 50, count
    assert api.connection.rate_limit.get("requests_remaining") is not None

    # Update a status.
    updated = order.update(status_id=9)
    assert updated.status_id == 9, updated.status_id
    assert api.Orders.get(order.id).status == "Awaiting Shipment"

    # Create a shipment of everything going to the first address.
    addr = addresses[0]
    items = [{"order_product_id": p.id, "quantity": p.quantity} for p in products if p.order_address_id == addr.id]
    shipment = api.OrderShipments.create(
        order.id, order_address_id=addr.id, tracking_number="1Z999AA10123456784",
        shipping_provider="ups", items=items,
    )
    assert shipment.order_id == order.id
    shipments = order.shipments()
    assert len(shipments) == 1
    after = api.Orders.get(order.id)
    assert after.status_id in (2, 3), after.status_id

    # An error comes back as the client's own exception.
    try:
        api.Orders.get(999999)
        raise AssertionError("expected a 404")
    except bigcommerce.exception.ClientRequestException as e:
        assert e.status_code == 404

    print(json.dumps({
        "listed": len(orders), "read": order.id, "count": count, "status_after_update": updated.status_id,
        "shipment": shipment.id, "status_after_shipment": after.status_id,
        "rate_limit_remaining": api.connection.rate_limit.get("requests_remaining"),
    }))


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # report and fail
        print("official client check failed: %r" % (exc,), file=sys.stderr)
        raise
