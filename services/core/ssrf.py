"""SSRF guard: every outbound URL is checked here before a byte is sent.

The rules (ORIGINAL_SYSTEM §9.2, re-enabled and tightened):

1. the URL parses, has no user-info (``https://allowed@evil``) and no control characters;
2. a **trusted origin** (``scheme://host:port``, exact match against configuration) is let through
   as is: that is how a deployment points at services it runs itself (a stack whose outside world
   runs on the same machine, for instance). Nothing else on that host is let through;
3. otherwise the scheme is ``https`` and the port is the default (443);
4. the host is not an IP literal in any spelling: dotted, decimal (``2130706433``), octal
   (``0177.0.0.1``), hex (``0x7f.0.0.1``), shortened (``127.1``), IPv6, IPv4-mapped IPv6;
5. the host is in the allowlist (exact, case-insensitive);
6. every address the host resolves to is public: not private, loopback, link-local,
   unique-local, multicast, unspecified, reserved, shared (CGNAT) or a cloud metadata address
   (``169.254.169.254``, ``fd00:ec2::254``), also when embedded in IPv6 (mapped, 6to4, NAT64,
   Teredo, IPv4-compatible).

The resolver is injected (``host -> addresses``) so tests need no DNS. The guard cannot be
switched off; a deployment only chooses its allowlist and its trusted origins.

Limitation: the addresses are checked before the HTTP client connects, and the client resolves the
name again; a DNS answer that changes in between (rebinding) is not caught. The allowlist limits
this to hosts the operator chose.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import SplitResult, urlsplit

from services.core.errors import UpstreamError, ValidationError

Resolver = Callable[[str], Iterable[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                                ipaddress.ip_address("169.254.170.2")})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class BlockedUrlError(ValidationError):
    """A URL the guard refuses (400, never retried). The message names the URL part at fault."""


def system_resolver(host: str) -> list[str]:
    """Addresses of ``host`` from the system resolver (every family)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def origin_of(url: str) -> str:
    """``scheme://host:port`` with the default port made explicit, lower-cased."""
    parts = _split(url)
    return _origin(parts)


class SsrfGuard:
    def __init__(self, allowed_hosts: Iterable[str], trusted_origins: Iterable[str] = (), *,
                 resolver: Resolver = system_resolver) -> None:
        self._allowed = frozenset(h.strip().lower() for h in allowed_hosts if h.strip())
        self._trusted = frozenset(origin_of(o.strip()) for o in trusted_origins if o.strip())
        self._resolve = resolver

    def check(self, url: str) -> str:
        """Return ``url`` if it may be fetched; raise ``BlockedUrlError`` otherwise.

        Resolution failures raise ``UpstreamError`` (retryable: DNS is sometimes down).
        """
        parts = _split(url)
        if parts.username is not None or parts.password is not None:
            raise BlockedUrlError("URL must not contain user info")
        host = parts.hostname or ""
        if not host:
            raise BlockedUrlError("URL has no host")
        if _origin(parts) in self._trusted:
            return url
        if parts.scheme != "https":
            raise BlockedUrlError(f"only HTTPS URLs are allowed, got: {parts.scheme or '(none)'}")
        if parts.port not in (None, 443):
            raise BlockedUrlError(f"only the default HTTPS port is allowed, got: {parts.port}")
        if is_ip_literal(host):
            raise BlockedUrlError(f"IP addresses are not allowed, use a hostname instead: {host}")
        if host not in self._allowed:
            raise BlockedUrlError(f"host not in allowlist: {host}")
        try:
            addresses = list(self._resolve(host))
        except (OSError, UnicodeError) as exc:
            raise UpstreamError(f"hostname resolution failed: {host} ({type(exc).__name__})") from exc
        if not addresses:
            raise UpstreamError(f"hostname resolution failed: {host} (no addresses)")
        for raw in addresses:
            reason = blocked_reason(raw)
            if reason:
                raise BlockedUrlError(f"hostname resolves to a {reason} address: {host} -> {raw}")
        return url


def is_ip_literal(host: str) -> bool:
    """True for any host a browser or libc would read as an IP address."""
    host = host.strip("[]").rstrip(".").lower()
    if ":" in host:
        return True  # only IPv6 literals contain a colon once the port is split off
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(host)  # decimal, octal, hex and shortened forms
        return True
    except OSError:
        pass
    # WHATWG URL parsing treats a host whose last label is numeric as IPv4 (even if invalid).
    labels = host.split(".")
    return bool(labels) and _NUMERIC_LABEL.match(labels[-1]) is not None


def blocked_reason(raw: str) -> str | None:
    """Why an address may not be contacted (``None`` when it is public)."""
    try:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
    except ValueError:
        return "unparseable"
    candidates = (address, *_embedded_ipv4(address))
    if any(candidate in METADATA_ADDRESSES for candidate in candidates):
        return "cloud metadata service"
    for candidate in candidates:
        reason = _reason(candidate)
        if reason:
            return reason
    return None


def _reason(address: IPAddress) -> str | None:
    checks = (("loopback", address.is_loopback), ("link-local", address.is_link_local),
              ("multicast", address.is_multicast), ("unspecified", address.is_unspecified),
              ("private", address.is_private), ("reserved", address.is_reserved))
    for name, hit in checks:
        if hit:
            return name
    if not address.is_global:
        return "non-public"
    return None


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo:
        found.extend(address.teredo)
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _split(url: str) -> SplitResult:
    if not isinstance(url, str) or not url or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise BlockedUrlError("URL is empty or contains whitespace/control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise BlockedUrlError(f"invalid URL format: {exc}") from exc
    return parts


def _origin(parts: SplitResult) -> str:
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"
