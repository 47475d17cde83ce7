"""policies/nat_rules.py is a pure parser: tested directly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "policies"))

from lib.nat_rules import Forward, dnat_forwards


def test_forward_str() -> None:
    assert str(Forward("tcp", 80, 80, "10.0.0.2")) == "tcp 80 -> 10.0.0.2"
    assert str(Forward("udp", 50000, 60000, "10.0.0.10")) == "udp 50000-60000 -> 10.0.0.10"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "tcp dport 5432 dnat to 10.0.0.5", [("tcp", 5432, 5432, "10.0.0.5")], id="single"
        ),
        pytest.param(
            'iifname "vmbr0" tcp dport { 80, 443 } dnat to 10.0.0.2 comment "proxy"',
            [("tcp", 80, 80, "10.0.0.2"), ("tcp", 443, 443, "10.0.0.2")],
            id="set",
        ),
        pytest.param(
            "tcp dport {80,5000-5500} dnat to 10.0.0.2",
            [("tcp", 80, 80, "10.0.0.2"), ("tcp", 5000, 5500, "10.0.0.2")],
            id="set-with-range-no-spaces",
        ),
        pytest.param(
            "udp dport 50000-60000 dnat to 10.0.0.10",
            [("udp", 50000, 60000, "10.0.0.10")],
            id="range",
        ),
        pytest.param(
            "tcp dport 15432 dnat to 10.0.0.5:5432",
            [("tcp", 5432, 5432, "10.0.0.5"), ("tcp", 15432, 15432, "10.0.0.5")],
            id="port-rewrite-counts-both",
        ),
        pytest.param(
            "tcp dport 8000-8100 dnat to 10.0.0.5:9000-9100",
            [("tcp", 8000, 8100, "10.0.0.5"), ("tcp", 9000, 9100, "10.0.0.5")],
            id="range-rewrite",
        ),
        pytest.param(
            "tcp dport 5432 dnat ip to 10.0.0.5", [("tcp", 5432, 5432, "10.0.0.5")], id="dnat-ip-to"
        ),
        pytest.param(
            "ip daddr 203.0.113.10 tcp dport 5432 counter dnat to 10.0.0.5",
            [("tcp", 5432, 5432, "10.0.0.5")],
            id="statements-between",
        ),
        pytest.param(
            "iptables -t nat -A PREROUTING -i vmbr0 -p tcp --dport 6379 -j DNAT "
            "--to-destination 10.0.0.7",
            [("tcp", 6379, 6379, "10.0.0.7")],
            id="iptables",
        ),
        pytest.param(
            "iptables -t nat -A PREROUTING -p tcp -m multiport --dports 80,443,27017 -j DNAT "
            "--to-destination 10.0.0.8",
            [
                ("tcp", 80, 80, "10.0.0.8"),
                ("tcp", 443, 443, "10.0.0.8"),
                ("tcp", 27017, 27017, "10.0.0.8"),
            ],
            id="iptables-multiport",
        ),
        pytest.param(
            "iptables -t nat -A PREROUTING -p udp --dport 9000:9100 -j DNAT "
            "--to-destination 10.0.0.9:9042",
            [("udp", 9000, 9100, "10.0.0.9"), ("udp", 9042, 9042, "10.0.0.9")],
            id="iptables-range-and-rewrite",
        ),
        pytest.param(
            "tcp dport 5432 dnat to 10.0.0.5\ntcp dport 5432 dnat to 10.0.0.5",
            [("tcp", 5432, 5432, "10.0.0.5")],
            id="duplicates-merged",
        ),
    ],
)
def test_dnat_forwards(text: str, expected: list[tuple[str, int, int, str]]) -> None:
    assert dnat_forwards(text) == [Forward(*f) for f in expected]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("tcp dport 5432 accept", id="filter-rule"),
        pytest.param('ip saddr 10.0.0.0/24 oifname "vmbr0" masquerade', id="masquerade"),
        pytest.param('iifname "vmbr0" oifname "vmbr1" ct status dnat accept', id="ct-status-dnat"),
        pytest.param("tcp dport 5432 accept\ndnat to 10.0.0.5", id="dnat-on-another-line"),
        pytest.param("tcp dport 5432 accept; dnat to 10.0.0.5", id="dnat-after-semicolon"),
        pytest.param(
            "iptables -A FORWARD -p tcp --dport 5432 -j ACCEPT\n-j DNAT --to-destination 10.0.0.5",
            id="iptables-accept",
        ),
        pytest.param("tcp dport 2222 redirect to :22", id="redirect"),
    ],
)
def test_no_forward(text: str) -> None:
    assert dnat_forwards(text) == []
