"""Import ids for adopting an existing host: the provider's formats, the program's names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.__main__ import main
from components.derive.import_ids import (
    BRIDGE_TYPE,
    CONTAINER_TYPE,
    ImportId,
    fill_import_file,
    import_ids,
)
from components.plan import plan_stack
from tests.stacks import ROOT, stack_spec


def test_prod_ids_follow_the_provider_formats() -> None:
    ids = import_ids(stack_spec("prod"))
    assert ids[0] == ImportId(BRIDGE_TYPE, "ax102-nat-bridge", "ax102:vmbr1")
    assert ids[1:] == [
        ImportId(CONTAINER_TYPE, f"ax102-{name}-container", f"ax102/{vm_id}")
        for name, vm_id in [
            ("proxy", 102),
            ("livekit", 110),
            ("egress", 111),
            ("agents", 112),
            ("backend", 113),
            ("frontend", 114),
            ("monitoring", 115),
        ]
    ]


def test_every_id_names_a_resource_the_program_declares() -> None:
    declared = {(r.type, r.name) for r in plan_stack(ROOT, "prod").resources}
    for item in import_ids(stack_spec("prod")):
        assert (item.type, item.name) in declared, item


def test_fill_sets_ids_keeps_components_and_providers_and_drops_the_rest() -> None:
    document = {
        "nameTable": {"ax102": "urn:pulumi:prod::p::selfhosted:platform:ProxmoxPlatform::ax102"},
        "resources": [
            {"type": "selfhosted:proxmox:LxcService", "name": "ax102-proxy", "component": True},
            {"type": "pulumi:providers:proxmoxve", "name": "ax102-provider", "id": ""},
            {
                "type": CONTAINER_TYPE,
                "name": "ax102-proxy-container",
                "id": "",
                "parent": "ax102-proxy",
            },
            {"type": "command:remote:Command", "name": "ax102-proxy-ssh-keys", "id": ""},
            {"type": BRIDGE_TYPE, "name": "ax102-nat-bridge", "id": ""},
        ],
    }
    filled, removed = fill_import_file(document, import_ids(stack_spec("prod")))
    assert filled == ["ax102-proxy-container", "ax102-nat-bridge"]
    assert removed == ["ax102-proxy-ssh-keys"]
    assert [(e["name"], e.get("id")) for e in document["resources"]] == [
        ("ax102-proxy", None),
        ("ax102-provider", ""),
        ("ax102-proxy-container", "ax102/102"),
        ("ax102-nat-bridge", "ax102:vmbr1"),
    ]


def test_cli_prints_the_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-ids", "prod", "--project", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert "ax102-monitoring-container  ax102/115         " in out
    assert "ax102-nat-bridge            ax102:vmbr1" in out


def test_cli_fills_an_import_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "import.json"
    path.write_text(
        json.dumps({"resources": [{"type": CONTAINER_TYPE, "name": "ax102-egress-container"}]})
    )
    assert main(["import-ids", "prod", "--project", str(ROOT), "--fill", str(path)]) == 0
    assert json.loads(path.read_text())["resources"][0]["id"] == "ax102/111"
    assert "ids for ax102-egress-container" in capsys.readouterr().out
