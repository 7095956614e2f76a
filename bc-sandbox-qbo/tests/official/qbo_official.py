"""Drives the sandbox with Intuit's official OAuth client (intuit-oauth) and the python-quickbooks
SDK, both unchanged: only the base URL differs (the discovery document URL given to AuthClient,
and the API base URL of the QuickBooks client).

Usage: python3 qbo_official.py BASE_URL CREDENTIALS_JSON
Prints one JSON line with what it did; exits non-zero on any failure.
"""
import json
import sys

from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.exceptions import QuickbooksException


def main():
    base = sys.argv[1].rstrip("/")
    creds = json.loads(sys.argv[2])

    auth = AuthClient(
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
        redirect_uri="http://localhost/callback",
        environment=base + "/.well-known/openid_sandbox_configuration",
    )
    # Starting the session exchanges the refresh token at the token endpoint (rotation).
    qb = QuickBooks(
        auth_client=auth,
        refresh_token=creds["refresh_token"],
        company_id=creds["realm_id"],
        minorversion=75,
    )
    qb.api_url_v3 = base + "/v3"
    assert auth.refresh_token != creds["refresh_token"], "refresh token did not rotate"

    # Query.
    customers = Customer.all(qb=qb)
    assert any(c.DisplayName == "Amy's Bird Sanctuary" for c in customers), "seeded customer missing"
    amy = Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=qb)
    assert len(amy) == 1 and amy[0].Id == "1"
    items = Item.all(qb=qb)
    assert len(items) >= 1
    count = Customer.count(qb=qb)
    assert count >= 2

    # Create.
    customer = Customer()
    customer.DisplayName = "Official Client Customer"
    customer.CompanyName = "Official Client Co"
    customer.save(qb=qb)
    assert customer.Id

    item = Item()
    item.Name = "Official Client Service"
    item.Type = "Service"
    item.IncomeAccountRef = Ref()
    item.IncomeAccountRef.value = "2"
    item.save(qb=qb)
    assert item.Id

    invoice = Invoice()
    line = SalesItemLine()
    line.Amount = 150
    line.Description = "Sewing service"
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    line.SalesItemLineDetail.Qty = 3
    line.SalesItemLineDetail.UnitPrice = 50
    invoice.Line.append(line)
    invoice.CustomerRef = customer.to_ref()
    invoice.DocNumber = "PY-1001"
    invoice.save(qb=qb)
    assert invoice.Id
    fetched = Invoice.get(invoice.Id, qb=qb)
    assert float(fetched.TotalAmt) == 150.0, fetched.TotalAmt
    assert fetched.CustomerRef.name == "Official Client Customer"

    # Duplicate DocNumber comes back as the SDK's validation exception.
    dup = Invoice()
    dup.Line.append(line)
    dup.CustomerRef = customer.to_ref()
    dup.DocNumber = "PY-1001"
    try:
        dup.save(qb=qb)
        raise AssertionError("duplicate DocNumber accepted")
    except QuickbooksException as e:
        assert e.error_code == 6140, e.error_code

    # Batch create: customers, items, invoices.
    batch_customers = []
    for i in range(3):
        c = Customer()
        c.DisplayName = "Batch Customer %d" % i
        batch_customers.append(c)
    result = batch_create(batch_customers, qb=qb)
    assert len(result.successes) == 3 and not result.faults, (result.successes, result.faults)

    batch_items = []
    for i in range(2):
        it = Item()
        it.Name = "Batch Item %d" % i
        it.Type = "Service"
        it.IncomeAccountRef = Ref()
        it.IncomeAccountRef.value = "2"
        batch_items.append(it)
    result = batch_create(batch_items, qb=qb)
    assert len(result.successes) == 2 and not result.faults, result.faults

    batch_invoices = []
    for i in range(2):
        inv = Invoice()
        l = SalesItemLine()
        l.Amount = 10 + i
        l.SalesItemLineDetail = SalesItemLineDetail()
        l.SalesItemLineDetail.ItemRef = item.to_ref()
        inv.Line.append(l)
        inv.CustomerRef = customer.to_ref()
        inv.DocNumber = "PY-B%d" % i
        batch_invoices.append(inv)
    # One duplicate number: a per-item fault, the others succeed.
    bad = Invoice()
    bad.Line.append(line)
    bad.CustomerRef = customer.to_ref()
    bad.DocNumber = "PY-1001"
    batch_invoices.append(bad)
    result = batch_create(batch_invoices, qb=qb)
    assert len(result.successes) == 2 and len(result.faults) == 1, (result.successes, result.faults)

    invoices = Invoice.filter(CustomerRef=customer.Id, qb=qb)
    print(json.dumps({
        "ok": True,
        "customers_created": 4,
        "items_created": 3,
        "invoices_for_customer": len(invoices),
    }))


if __name__ == "__main__":
    main()
