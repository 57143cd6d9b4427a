"""The JSON-RPC client against the emulator: sessions, TLS trust, errors, failures."""

from __future__ import annotations

import socket
import time

import pytest

from kerio_watch.respond.client import ApiClient, ApiError, Endpoint, RpcError, mask, rpc_message

from .conftest import PASSWORD, Kerio


def test_login_reuses_one_session(kerio: Kerio) -> None:
    client = kerio.client()
    for _ in range(3):
        assert client.call("IpAddressGroups.getGroupList")["groups"]
    assert client.logins == 1
    assert kerio.emulator.calls["Session.login"] == 1
    assert client.cookies  # the session cookie the login set is sent back


def test_expired_session_is_renewed_once(kerio: Kerio) -> None:
    client = kerio.client()
    client.call("Queue.get", {"query": {"start": 0, "limit": 10}})
    kerio.emulator.expire_sessions()
    assert client.call("Queue.get", {"query": {"start": 0, "limit": 10}})["totalItems"] == 0
    assert client.logins == 2


def test_token_and_cookie_are_both_required(kerio: Kerio) -> None:
    client = kerio.client()
    client.login()
    client.cookies.clear()
    with pytest.raises(RpcError) as caught:
        client._rpc("Queue.get", {})
    assert caught.value.code == -32001


def test_wrong_password_is_refused_and_never_shown(kerio: Kerio) -> None:
    client = ApiClient(
        Endpoint(kerio.emulator.url, fingerprint=kerio.emulator.fingerprint),
        "admin",
        lambda: "hunter2-wrong",
    )
    with pytest.raises(ApiError) as caught:
        client.call("Queue.get")
    assert caught.value.kind == "refused"
    assert "hunter2" not in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_error_objects_carry_code_and_filled_in_message(kerio: Kerio) -> None:
    client = kerio.client()
    with pytest.raises(RpcError) as caught:
        client.call("No.suchMethod")
    assert caught.value.code == -32601
    with pytest.raises(RpcError) as caught:
        alice = kerio.state.user_by_address("alice@example.com")
        assert alice is not None
        client.call("Users.set", {"userIds": [alice.id], "pattern": {"accessPolicy": {"id": "p9"}}})
    assert "Access policy p9 does not exist" in str(caught.value)
    assert (
        rpc_message(
            {
                "message": "%1 of %2",
                "data": {"messageParameters": {"positionalParameters": ["a", "b"]}},
            }
        )
        == "a of b"
    )


def test_ca_file_is_trusted_and_the_system_store_is_not(kerio: Kerio) -> None:
    assert kerio.client(fingerprint=None, ca_file=str(kerio.cert)).call("Queue.get")
    with pytest.raises(ApiError) as caught:
        kerio.client(fingerprint=None).call("Queue.get")
    assert caught.value.kind == "tls"
    assert "not trusted" in str(caught.value)


def test_a_wrong_pin_is_refused_before_the_password_is_sent(kerio: Kerio) -> None:
    with pytest.raises(ApiError) as caught:
        kerio.client(fingerprint="ab" * 32).call("Queue.get")
    assert caught.value.kind == "tls"
    assert "is not the pinned AB:AB" in str(caught.value)
    assert kerio.emulator.calls["Session.login"] == 0


def test_unreachable_port(kerio: Kerio) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ApiClient(Endpoint(f"https://127.0.0.1:{port}/admin/api/jsonrpc/"), "a", str)
    with pytest.raises(ApiError) as caught:
        client.call("Queue.get")
    assert caught.value.kind == "unreachable"
    assert "connection refused" in str(caught.value)


def test_slow_answer_times_out_with_unknown_outcome(kerio: Kerio) -> None:
    client = ApiClient(
        Endpoint(kerio.emulator.url, fingerprint=kerio.emulator.fingerprint, timeout=0.3),
        "admin",
        lambda: PASSWORD,
    )
    client.login()
    kerio.emulator.faults.delay["Users.set"] = 1.0
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        client.call("Users.set", {"userIds": [], "pattern": {}})
    assert caught.value.kind == "timeout" and caught.value.sent
    assert time.monotonic() - started < 0.9
    assert kerio.emulator.calls["Users.set"] == 1  # it reached the server


@pytest.mark.parametrize(
    ("kind", "code", "expect"), [("http", 500, "http"), ("drop", 0, "unreachable")]
)
def test_failing_answers(kerio: Kerio, kind: str, code: int, expect: str) -> None:
    client = kerio.client()
    client.login()
    kerio.emulator.faults.add("Queue.get", kind, code)
    with pytest.raises(ApiError) as caught:
        client.call("Queue.get")
    assert caught.value.kind == expect
    assert client.call("Queue.get")["totalItems"] == 0  # the next call works


def test_server_down_then_back(kerio: Kerio) -> None:
    client = kerio.client()
    client.call("Queue.get")
    kerio.emulator.faults.down = True
    with pytest.raises(ApiError):
        client.call("Queue.get")
    kerio.emulator.faults.down = False
    assert client.call("Queue.get")["totalItems"] == 0


def test_passwords_are_masked_in_recorded_parameters() -> None:
    assert mask({"userName": "a", "password": "x", "n": [{"password": "y"}]}) == {
        "userName": "a",
        "password": "********",
        "n": [{"password": "********"}],
    }


def test_only_https_urls() -> None:
    with pytest.raises(ApiError):
        ApiClient(Endpoint("http://mail.example.com:4040/admin/api/jsonrpc/"), "a", str)
