"""A host-network service with a route on the proxy's machine: it joins no Docker network, so
the proxy reaches it at the machine's address; a cloud server's is known only once it exists.

tests/docker/test_host_network_route.py shows a bridge container reaching a host-network
service at exactly that upstream in a real engine, and not by the service's name.
"""

from __future__ import annotations

from components.derive import proxy_routes
from tests.spec.spec_helpers import add_droplet, error_text, parse, put
from tests.spec.test_models import BASELINE, doc

# prod's LiveKit (host network, a route to 7880) moved onto the proxy's guest.
ON_THE_PROXY_GUEST = put("services", "livekit", "machine", value="proxy")


def test_on_a_guest_it_is_routed_to_the_guests_address() -> None:
    spec = parse(doc(ON_THE_PROXY_GUEST))
    (route,) = [r for r in proxy_routes(spec) if r.service == "livekit"]
    address = BASELINE["guests"]["proxy"]["address"]
    assert route.upstream == f"http://{address}:7880"


def test_it_is_never_asked_to_join_the_proxys_network() -> None:
    # Before: the route rule wanted livekit on the proxy's network, which the host network
    # refuses: no config could express it.
    spec = parse(doc(ON_THE_PROXY_GUEST))
    assert spec.services["livekit"].networks == []


def test_on_a_cloud_server_it_is_refused_with_the_reason() -> None:
    lines = error_text(
        doc(
            add_droplet(),
            put("services", "npm", "machine", value="edge"),
            put("services", "livekit", "machine", value="edge"),
        )
    ).splitlines()
    assert (
        "platform:services.livekit.expose[2]: route livekit.example.com/: livekit uses the host "
        "network on edge, whose address the proxy npm would learn only once the server exists; "
        "use networkMode bridge on the proxy's network"
    ) in lines
