"""The client's basics: construction, shared stores, execute_command."""

import kvstore
from conftest import fresh_client


def test_get_set_against_redis(pair):
    pair.set("k", "v")
    pair.get("k")
    pair.get("missing")
    pair.set("k", "w", nx=True)
    pair.set("k", "w", xx=True, get=True)
    pair.set("k", True)
    pair.set("k", None)
    pair.set("k", 1.5)
    pair.set("k", 10**30)
    pair.get("k")
    pair.execute_command("HGET", "k", "f")
    pair.execute_command("NOSUCHCOMMAND", "x")
    pair.same_data()


def test_same_identity_shares_data():
    a = kvstore.Redis(host="shared-identity-test")
    b = kvstore.Redis(host="shared-identity-test", db=0)
    c = kvstore.Redis(host="shared-identity-test", db=1)
    a.set("k", "v")
    assert b.get("k") == b"v"
    assert c.get("k") is None
    assert fresh_client().get("k") is None
