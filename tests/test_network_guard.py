"""Tests cannot reach beyond loopback (tests/network_guard.py, installed by the root conftest)."""

from __future__ import annotations

import socket

import pytest

from tests.network_guard import NetworkBlocked


def test_connections_and_lookups_beyond_loopback_fail_at_once():
    with pytest.raises(NetworkBlocked), socket.create_connection(("192.0.2.1", 80), timeout=30):
        pass
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("pypi.org", 443)


def test_loopback_still_works():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=30):
            pass
    assert socket.getaddrinfo("localhost", 80)
