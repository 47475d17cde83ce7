"""The component provider as ``pulumi`` runs it: the plugin directory's entry point as its own
process (``python components/provider ENGINE_ADDRESS``, in the program's directory), its port
read from stdout, then driven over gRPC: GetSchema, validated against Pulumi's published package
metaschema, and Construct of components against a resource monitor that records what they
register. The expected names come from the components' contract (``components/names.py``) and
what the library's own component tests assert."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import jsonschema
import pytest
import regress
import yaml
from google.protobuf import struct_pb2
from jsonschema import validators
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components import names
from components.plan.recording import SECRET_SIG, SECRET_SIG_KEY
from tests.package import fake_engine
from tests.package.fake_engine import PROJECT, STACK, STACK_URN, Recorder

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = ROOT / "components" / "provider"
METASCHEMA = Path(__file__).with_name("pulumi-package-metaschema.json")
PACKAGE = "selfhosted"


# The engine sends a provider that accepts output values (Configure's acceptOutputs) each secret
# as an output value (sdk/go/common/resource/plugin/rpc.go; the Python SDK's rpc.py reads them).
OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


def secret(value: str) -> dict[str, Any]:
    return {SECRET_SIG_KEY: OUTPUT_VALUE_SIG, "value": value, "secret": True}


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def engine(recorder: Recorder) -> Iterator[str]:
    server, address = fake_engine.start(recorder)
    yield address
    server.stop(grace=None)


@pytest.fixture(scope="module")
def provider(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The plugin started as the Python language host starts it: ``python <plugin dir>`` plus
    the engine's address, in the program's directory; the first stdout line is its port."""
    program_dir = tmp_path_factory.mktemp("yaml-program")
    assert (PLUGIN_DIR / "PulumiPlugin.yaml").is_file()
    process = subprocess.Popen(
        [sys.executable, str(PLUGIN_DIR), engine],
        cwd=program_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.isdigit():
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"the provider printed {line!r}, not a port:\n{err.decode()}")
    channel = grpc.insecure_channel(f"127.0.0.1:{line}")
    stub = provider_pb2_grpc.ResourceProviderStub(channel)
    # The engine configures a provider first and sends output values only if it accepts them.
    configured = stub.Configure(provider_pb2.ConfigureRequest(acceptSecrets=True))
    assert configured.acceptOutputs
    yield stub
    channel.close()
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def schema(provider: Any) -> dict[str, Any]:
    response = provider.GetSchema(provider_pb2.GetSchemaRequest(version=0))
    result: dict[str, Any] = json.loads(response.schema)
    return result


def metaschema_validator() -> Any:
    """jsonschema's draft 2020-12 validator with ECMA-262 regular expressions (the metaschema's
    patterns use ``(?<name>...)`` groups, which Python's ``re`` does not read): ``regress``, the
    ECMA engine check-jsonschema validates with."""

    def pattern(validator: Any, expression: str, instance: Any, schema: Any) -> Iterator[Any]:
        if isinstance(instance, str) and not regress.Regex(expression, flags="u").find(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {expression!r}")

    def pattern_properties(
        validator: Any, patterns: dict[str, Any], instance: Any, schema: Any
    ) -> Iterator[Any]:
        if not isinstance(instance, dict):
            return
        for expression, subschema in patterns.items():
            regex = regress.Regex(expression, flags="u")
            for key, value in instance.items():
                if regex.find(key):
                    yield from validator.descend(value, subschema, path=key, schema_path=expression)

    kind = validators.extend(
        jsonschema.Draft202012Validator,
        {"pattern": pattern, "patternProperties": pattern_properties},
    )
    ecma = jsonschema.FormatChecker(formats=())
    ecma.checks("regex", raises=Exception)(lambda text: bool(regress.Regex(text, flags="u")))
    metaschema = json.loads(METASCHEMA.read_text())
    kind.check_schema(metaschema, format_checker=ecma)  # the metaschema is itself valid
    return kind(metaschema)


def test_the_vendored_metaschema_is_the_one_noted() -> None:
    """The file is Pulumi's, unchanged: its sha256 is the one tests/package/README.md names."""
    noted = re.search(r"sha256: `([0-9a-f]{64})`", METASCHEMA.with_name("README.md").read_text())
    assert noted is not None
    assert hashlib.sha256(METASCHEMA.read_bytes()).hexdigest() == noted.group(1)


def test_the_schema_is_a_valid_pulumi_package(schema: dict[str, Any]) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in metaschema_validator().iter_errors(schema)]
    assert errors == []
    assert schema["name"] == PACKAGE
    assert {
        f"{PACKAGE}:index:{component}"
        for component in ("ContainerService", "DockerEngine", "DropletHost", "HcloudHost")
    } <= set(schema["resources"])
    assert all(r["isComponent"] for r in schema["resources"].values())


def test_the_metaschema_refuses_a_broken_schema(schema: dict[str, Any]) -> None:
    """The validator sees the patterns and required keys (the check above can fail)."""
    validator = metaschema_validator()
    broken = {**schema, "name": "1-not-a-name"}
    container = schema["resources"][f"{PACKAGE}:index:ContainerService"]
    typo = {**container, "inputProperties": {"image": {"type": "text"}}}
    wrong_type = {**schema, "resources": {f"{PACKAGE}:index:ContainerService": typo}}
    assert list(validator.iter_errors(broken))
    assert list(validator.iter_errors(wrong_type))


def test_the_schema_types_the_inputs(schema: dict[str, Any]) -> None:
    container = schema["resources"][f"{PACKAGE}:index:ContainerService"]
    assert {"image", "dockerHost"} <= set(container["requiredInputs"])
    assert container["inputProperties"]["memoryMb"]["type"] == "integer"
    assert container["inputProperties"]["ports"]["items"]["$ref"] == (
        f"#/types/{PACKAGE}:index:PortBinding"
    )
    assert container["properties"]["containerName"]["type"] == "string"
    droplet = schema["resources"][f"{PACKAGE}:index:DropletHost"]
    assert {"region", "size", "sshAllowedFrom", "adminSshKeys", "privateKey"} <= set(
        droplet["requiredInputs"]
    )
    assert {"publicAddress", "dockerHost", "sshOpts"} <= set(droplet["properties"])


def construct(provider: Any, engine: str, type_: str, name: str, inputs: dict[str, Any]) -> Any:
    struct = struct_pb2.Struct()
    struct.update(inputs)
    return provider.Construct(
        provider_pb2.ConstructRequest(
            project=PROJECT,
            stack=STACK,
            dryRun=True,
            parallel=4,
            monitorEndpoint=engine,
            type=f"{PACKAGE}:index:{type_}",
            name=name,
            parent=STACK_URN,
            inputs=struct,
            accepts_output_values=True,
        ),
        timeout=60,
    )


def test_construct_container_service_registers_the_librarys_container(
    provider: Any, engine: str, recorder: Recorder
) -> None:
    recorder.clear()
    response = construct(
        provider,
        engine,
        "ContainerService",
        "db",
        {
            "image": "postgres:16.4",
            "dockerHost": "ssh://app",
            "sshOpts": ["-F", "/srv/ssh/config"],
            "networks": {"app": "app"},
            "secretEnv": {"POSTGRES_PASSWORD": secret("s3cret")},
            "volumes": [{"volume": "pgdata", "path": "/var/lib/postgresql/data"}],
            "healthcheck": {"test": ["CMD-SHELL", "pg_isready -U postgres"]},
            "ports": [{"protocol": "tcp", "start": 5432, "end": 5432, "address": "10.0.0.5"}],
            "stateful": True,
            "memoryMb": 1024,
        },
    )
    seen = recorder.by_name()
    facade = next(
        r for r in recorder.registrations if r.type == f"{PACKAGE}:index:ContainerService"
    )
    assert response.urn == facade.urn
    assert facade.parent == STACK_URN
    library = next(
        r for r in recorder.registrations if r.type == "selfhosted:docker:ContainerService"
    )
    assert (library.name, library.parent) == ("db", facade.urn)

    provider_ = seen[names.child("db", names.PROVIDER)]
    assert provider_.type == "pulumi:providers:docker"
    assert provider_.parent == facade.urn
    assert provider_.inputs["host"] == "ssh://app"
    assert json.loads(provider_.inputs["sshOpts"]) == ["-F", "/srv/ssh/config"]

    image = seen[names.child("db", names.IMAGE)]
    volume = seen[names.volume("db", "pgdata")]
    container = seen[names.child("db", names.CONTAINER)]
    assert image.type == "docker:index/remoteImage:RemoteImage"
    assert volume.type == "docker:index/volume:Volume"
    assert container.type == "docker:index/container:Container"
    assert {image.parent, volume.parent, container.parent} == {library.urn}
    # Every resource on the engine goes through the provider made from dockerHost.
    for resource in (image, volume, container):
        assert resource.provider.startswith(provider_.urn + "::")
    # The library's defaults and the inputs, as its own tests expect them.
    assert volume.protect
    assert container.delete_before_replace  # stateful: old first
    assert container.inputs["name"] == "db"
    assert container.inputs["memory"] == 1024
    assert container.inputs["capabilities"]["drops"] == ["ALL"]
    assert container.inputs["securityOpts"] == ["no-new-privileges:true"]
    assert container.inputs["ports"] == [
        {"internal": 5432, "external": 5432, "ip": "10.0.0.5", "protocol": "tcp"}
    ]
    assert container.inputs["healthcheck"]["tests"] == ["CMD-SHELL", "pg_isready -U postgres"]
    assert container.inputs["networksAdvanced"] == [{"name": "app", "aliases": ["db"]}]
    (env,) = container.inputs["envs"]
    assert env[SECRET_SIG_KEY] == SECRET_SIG  # the password stays a secret
    assert env["value"] == "POSTGRES_PASSWORD=s3cret"


def test_construct_droplet_host_registers_server_firewall_and_engine(
    provider: Any, engine: str, recorder: Recorder
) -> None:
    recorder.clear()
    admin_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    construct(
        provider,
        engine,
        "DropletHost",
        "web",
        {
            "region": "fra1",
            "size": "s-2vcpu-4gb",
            "sshAllowedFrom": ["198.51.100.0/24"],
            "adminSshKeys": [admin_key],
            "privateKey": secret("-----BEGIN OPENSSH PRIVATE KEY-----"),
            "openings": [{"protocol": "tcp", "ports": "443", "service": "proxy"}],
            "networks": [{"name": "web"}],
        },
    )
    seen = recorder.by_name()
    facade = next(r for r in recorder.registrations if r.type == f"{PACKAGE}:index:DropletHost")
    library = next(r for r in recorder.registrations if r.type == "selfhosted:hosts:DropletHost")
    assert library.parent == facade.urn
    droplet = seen[names.child("web", names.SERVER)]
    firewall = seen[names.child("web", names.FIREWALL)]
    assert droplet.type == "digitalocean:index/droplet:Droplet"
    assert {k: droplet.inputs[k] for k in ("region", "size", "image")} == {
        "region": "fra1",
        "size": "s-2vcpu-4gb",
        "image": "debian-12-x64",  # the spec model's default, not restated by the facade
    }
    assert firewall.type == "digitalocean:index/firewall:Firewall"
    inbound = {
        (r["protocol"], r["portRange"]): r["sourceAddresses"]
        for r in firewall.inputs["inboundRules"]
    }
    assert inbound == {
        ("tcp", "22"): ["198.51.100.0/24"],
        ("tcp", "443"): ["0.0.0.0/0", "::/0"],
    }
    assert seen[names.child("web", names.HOST_KEY)].type == "tls:index/privateKey:PrivateKey"
    engine_ = seen[names.server_engine("web")]
    assert engine_.type == "selfhosted:docker:DockerEngine"
    assert seen[names.child(names.server_engine("web"), "web")].type == (
        "docker:index/network:Network"
    )
    assert seen[names.child("web", names.SSH_KEYS)].type == "command:remote:Command"


def test_construct_docker_engine_registers_readiness_provider_and_networks(
    provider: Any, engine: str, recorder: Recorder
) -> None:
    recorder.clear()
    host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    response = construct(
        provider,
        engine,
        "DockerEngine",
        "app",
        {
            "hostname": "203.0.113.7",
            "user": "ops",
            "hostKey": host_key,
            "privateKey": secret("-----BEGIN OPENSSH PRIVATE KEY-----"),
            "port": 2222,
            "networks": [{"name": "app", "internal": True, "subnet": "172.30.0.0/24"}],
        },
    )
    seen = recorder.by_name()
    facade = next(r for r in recorder.registrations if r.type == f"{PACKAGE}:index:DockerEngine")
    assert response.urn == facade.urn
    library = next(r for r in recorder.registrations if r.type == "selfhosted:docker:DockerEngine")
    assert (library.name, library.parent) == ("app", facade.urn)
    ready = seen[names.child("app", names.READY)]
    assert ready.type == "command:remote:Command"
    # The connection carries the private key: the whole object is sent as a secret.
    sent = ready.inputs["connection"]
    assert sent[SECRET_SIG_KEY] == SECRET_SIG
    connection = sent["value"]
    assert (connection["host"], connection["port"], connection["user"]) == (
        "203.0.113.7",
        2222,
        "ops",
    )
    assert connection["hostKey"] == host_key  # pinned
    assert "docker info" in ready.inputs["create"]
    assert seen[names.child("app", names.PROVIDER)].type == "pulumi:providers:docker"
    network = seen[names.child("app", "app")]
    assert network.type == "docker:index/network:Network"
    assert network.inputs["internal"] is True
    assert network.inputs["ipamConfigs"] == [{"subnet": "172.30.0.0/24"}]


def test_construct_refuses_bad_host_inputs_naming_each(provider: Any, engine: str) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        construct(
            provider,
            engine,
            "HcloudHost",
            "hub",
            {
                "location": "fsn1",
                "serverType": "cx22",
                "sshAllowedFrom": ["not-a-network"],
                "adminSshKeys": [],
                "privateKey": "k",
            },
        )
    detail = str(raised.value.details())
    assert "hub.serverType: 'cx22'" in detail
    assert "hub.sshAllowedFrom.0" in detail


YAML_PROGRAM = ROOT / "examples" / "yaml" / "Pulumi.yaml"
REFERENCE = re.compile(r"\$\{([^}.]+)(?:\.([^}]+))?\}")


def _problems(value: Any, spec: dict[str, Any], schema: dict[str, Any], path: str) -> list[str]:
    """Where ``value`` does not fit the schema property ``spec``; a ``${...}`` is checked by
    the caller."""
    if isinstance(value, str) and REFERENCE.fullmatch(value):
        return []
    ref = spec.get("$ref", "")
    if ref.startswith("#/types/"):
        declared = schema["types"][ref.removeprefix("#/types/")]
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        missing = [f"{path}.{k}: required" for k in declared.get("required", []) if k not in value]
        return missing + [
            problem
            for key, item in value.items()
            for problem in (
                _problems(item, declared["properties"][key], schema, f"{path}.{key}")
                if key in declared["properties"]
                else [f"{path}.{key}: not a property of {ref}"]
            )
        ]
    kind = spec.get("type")
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a list"]
        return [
            p
            for i, v in enumerate(value)
            for p in _problems(v, spec["items"], schema, f"{path}[{i}]")
        ]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not a map"]
        inner = spec["additionalProperties"]
        return [p for k, v in value.items() for p in _problems(v, inner, schema, f"{path}.{k}")]
    expected = {"string": str, "integer": int, "number": (int, float), "boolean": bool}[kind]
    return [] if isinstance(value, expected) else [f"{path}: {value!r} is not a {kind}"]


def test_the_yaml_program_uses_the_packages_schema(schema: dict[str, Any]) -> None:
    """Every resource of examples/yaml is a component of the package with inputs its schema
    takes, and every ``${resource.output}`` is an output of that resource's type. (No Pulumi CLI
    runs here: the YAML runtime itself is not started.)"""
    program = yaml.safe_load(YAML_PROGRAM.read_text())
    assert program["runtime"] == "yaml"
    plugin = (YAML_PROGRAM.parent / program["packages"][PACKAGE]).resolve()
    assert plugin == PLUGIN_DIR
    resources = program["resources"]
    problems: list[str] = []
    for name, resource in resources.items():
        declared = schema["resources"].get(resource["type"])
        if declared is None:
            problems.append(f"{name}: {resource['type']} is not in the schema")
            continue
        properties = resource.get("properties", {})
        problems += [
            f"{name}.{k}: required" for k in declared["requiredInputs"] if k not in properties
        ]
        for key, value in properties.items():
            spec = declared["inputProperties"].get(key)
            if spec is None:
                problems.append(f"{name}.{key}: not an input of {resource['type']}")
            else:
                problems += _problems(value, spec, schema, f"{name}.{key}")
    text = YAML_PROGRAM.read_text()
    for target, output in REFERENCE.findall(text):
        if not output:
            assert target in program["config"] or target in resources, target
            continue
        outputs = schema["resources"][resources[target]["type"]]["properties"]
        if output not in outputs:
            problems.append(f"${{{target}.{output}}}: {output} is not an output")
    assert problems == []
    assert {r["type"] for r in resources.values()} == {
        f"{PACKAGE}:index:{c}" for c in ("HcloudHost", "ContainerService", "DockerEngine")
    }
