"""Where a request comes from: the visitor's address and scheme behind trusted reverse proxies,
and whether a posted form was sent by one of this site's own pages.

A reverse proxy (nginx on the same host, a load balancer) opens the connection itself, so the
connection's peer is the proxy; it names the visitor in ``X-Forwarded-For`` and the scheme the
visitor used in ``X-Forwarded-Proto``. Anybody can send those headers, so they count only when
the peer is one of ``SURVEY_TRUSTED_PROXIES`` (addresses or networks). Addresses are compared as
IP addresses, and an IPv4-mapped IPv6 address (``::ffff:127.0.0.1``, how a dual-stack socket
reports an IPv4 peer) is the IPv4 address it carries. The public-link rate limit, the login
throttle and the cookies' Secure flag all ask ``request_client``, so they agree on who is asking.

Nothing here imports Starlette or Streamlit: ``request_client`` and ``request_from_this_site``
read any object shaped like a Starlette request, and the staff UI calls ``client_of`` with what
Streamlit tells it.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Sequence
from typing import NamedTuple
from urllib.parse import urlsplit

from survey.core.config import settings

log = logging.getLogger(__name__)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"
MAX_ADDRESS_LENGTH = 64  # what an unparsable forwarded entry may add to a rate-limit key
DEFAULT_PORTS = {"http": "80", "https": "443"}


class Client(NamedTuple):
    address: str  # an IP address, or "unknown"
    scheme: str  # "http" or "https", as the visitor's browser used it


def client_of(
    peer: str | None,
    forwarded_for: Sequence[str],
    forwarded_proto: str | None,
    scheme: str,
    *,
    trusted: str | None = None,
) -> Client:
    """The visitor behind a connection from ``peer``.

    ``forwarded_for`` holds every X-Forwarded-For header value; each proxy appends the address it
    saw, so the visitor is the nearest entry that is not itself a trusted proxy. ``trusted``
    defaults to SURVEY_TRUSTED_PROXIES.
    """
    networks = trusted_networks(settings().trusted_proxies if trusted is None else trusted)
    address = normalise_address(peer) if peer else UNKNOWN
    if not _is_trusted(address, networks):
        return Client(address, scheme)
    hops = [normalise_address(hop) for value in forwarded_for for hop in value.split(",") if hop.strip()]
    visitor = next((hop for hop in reversed(hops) if not _is_trusted(hop, networks)), hops[0] if hops else address)
    proto = (forwarded_proto or "").split(",")[-1].strip().lower()
    return Client(visitor, proto if proto in DEFAULT_PORTS else scheme)


def request_client(request) -> Client:
    """The visitor of a Starlette request (see ``client_of``)."""
    peer = request.client.host if request.client else None
    return client_of(
        peer, request.headers.getlist("x-forwarded-for"), request.headers.get("x-forwarded-proto"), request.url.scheme
    )


def normalise_address(text: str) -> str:
    """An address as one spelling: IPv4-mapped IPv6 as IPv4, ports and brackets dropped.
    Something that is no address at all is kept (shortened), so it still has its own bucket."""
    text = text.strip()
    host = text
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        host = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 198.51.100.1:5678
        host = text.split(":")[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return text[:MAX_ADDRESS_LENGTH] or UNKNOWN
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@functools.lru_cache(maxsize=8)
def trusted_networks(configured: str) -> tuple[IPNetwork, ...]:
    """SURVEY_TRUSTED_PROXIES read as networks: ``127.0.0.1, 10.0.0.0/8, ::1``. A bad entry is
    logged and left out (trusting less, never more)."""
    networks: list[IPNetwork] = []
    for entry in configured.replace(",", " ").split():
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            log.warning("SURVEY_TRUSTED_PROXIES: '%s' is not an address or network; ignored", entry)
            continue
        networks.append(_unmapped(network))
    return tuple(networks)


def _unmapped(network: IPNetwork) -> IPNetwork:
    """``::ffff:10.0.0.0/104`` is ``10.0.0.0/8``: addresses are compared unmapped."""
    mapped = ipaddress.IPv6Network("::ffff:0:0/96")
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96 and network.subnet_of(mapped):
        return ipaddress.ip_network((int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96))
    return network


def _is_trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


# ---------------------------------------------------------------- the site that sent a form


def from_this_site(origin: str | None, referer: str | None, host: str | None) -> bool:
    """Whether a state-changing request was sent by one of this site's pages.

    Browsers name the page that sent a form in ``Origin`` (on every POST, nowadays) or, failing
    that, ``Referer``; the one present must name this site: the host the request was sent to, or
    SURVEY_BASE_URL's (behind a proxy that does not pass the Host on). A request with neither
    passes: an old phone sends neither, and the signed form and SameSite cookies still stand.
    ``Origin: null`` is a page that hides where it is (a sandboxed frame, a no-referrer page
    elsewhere): not ours. Only the host and port are compared, so a TLS-terminating proxy that
    does not say so in X-Forwarded-Proto refuses nobody.
    """
    source = origin if origin else referer
    if not source:
        return True
    if source.strip().lower() == "null":
        return False
    parts = urlsplit(source.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return False
    own = {_site(urlsplit(settings().base_url))}
    if host:
        own.add(_without_default_port(host.lower(), parts.scheme))
    return _site(parts) in own


def request_from_this_site(request) -> bool:
    """``from_this_site`` for a Starlette request."""
    return from_this_site(request.headers.get("origin"), request.headers.get("referer"), request.headers.get("host"))


def _site(parts) -> str:
    return _without_default_port(parts.netloc.lower().rpartition("@")[2], parts.scheme)


def _without_default_port(netloc: str, scheme: str) -> str:
    port = DEFAULT_PORTS.get(scheme)
    return netloc.removesuffix(f":{port}") if port else netloc
