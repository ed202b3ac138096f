"""Tests never reach the network beyond this machine (house rule; issue 13).

Installed for the whole run by the root conftest: a connection to, or a name lookup of, anything
but a loopback address or `localhost` fails at once with NetworkBlocked, naming the address, so
a test that would quietly depend on the internet (or hang on a closed network) fails loudly.
Unix sockets (PostgreSQL's) are untouched. Child processes (test servers) are not covered: they
are our own and listen on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkBlocked(OSError):
    pass


def _is_local(host: object) -> bool:
    if not isinstance(host, str | bytes):
        return False
    name = host.decode() if isinstance(host, bytes) else host
    if name.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def _is_literal(host: object) -> bool:
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return True


def install() -> None:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise NetworkBlocked(f"tests may not connect beyond loopback: {address!r}")

    def connect(self, address):
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        # Literal addresses resolve without the network (a guard may check where they point);
        # any other name would ask DNS.
        if host is not None and not _is_local(host) and not _is_literal(host):
            raise NetworkBlocked(f"tests may not look up names beyond loopback: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
