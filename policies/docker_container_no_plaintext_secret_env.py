"""docker-container-no-plaintext-secret-env: secret environment variables arrive as secrets.

An ``envs`` entry ``NAME=value`` whose NAME looks secret must reach the engine as a Pulumi
secret, or its value is stored in plain text in the state file and shown by ``pulumi stack
export``, previews and diffs. NAME looks secret by the pack's one rule (``lib.secret_names``:
PASSWORD, SECRET, TOKEN, ..., or a ``_KEY``/``_PASS`` suffix; not ``*_FILE``, ``*_PATH``,
``*PUBLIC_KEY``, the database images' yes/no switches, ...). Not checked:

* an entry with an empty value (``NAME=``) or no ``=``: there is nothing to protect;
* NAME listed in the policy config ``allowedNames`` (case-insensitive; default empty), for
  settings that only look secret.

The entry passes when it is a secret, alone (``pulumi.Output.secret("DB_PASSWORD=...")`` or
an ``Output.concat`` with a secret) or as part of a secret ``envs`` list; ``secret_marking``
keeps that visible to the pack. Messages name the variable, never its value.

Unknown values: an entry, or a whole ``envs`` list, that arrived as a Pulumi secret passes
without being read, known or not (a secret is what the rule asks for), so
``Output.concat("DB_PASSWORD=", random_password.result)`` does not block a preview. An unknown
plain ``envs`` list is deferred (the SDK reports the policy as not run during preview;
``pulumi up`` checks the resolved values). An unknown plain entry hides its NAME too
(``Output.concat("API_TOKEN=", token)`` is one unknown string), so it is deferred the same way,
but only after the violations of every known entry are reported.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity
from pulumi_policy.proxy import UnknownValueError

from lib.readers import peek
from lib.rule import resource_rule
from lib.secret_marking import is_secret
from lib.secret_names import is_secret_name
from lib.types import DOCKER_CONTAINER

RESOURCE_TYPES = (DOCKER_CONTAINER,)


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if is_secret(peek(args.props, "envs")):
        return  # the whole list is a secret (and unknown: a known one is a list of secrets)
    config = args.get_config() or {}
    allowed = {str(name).upper() for name in config.get("allowedNames", [])}
    entries = args.props.get("envs") or []
    first_unknown: int | None = None
    for index in range(len(entries)):
        if is_secret(peek(entries, index)):
            continue
        try:
            entry = entries[index]
        except UnknownValueError:
            # Check every known entry first; the first unknown one is read again below.
            first_unknown = index if first_unknown is None else first_unknown
            continue
        if not isinstance(entry, str):
            continue
        name, equals, value = entry.partition("=")
        if not equals or not value or name.upper() in allowed or not is_secret_name(name):
            continue
        report_violation(f"`envs` sets {name} in plain text.", None)
    if first_unknown is not None:
        entries[first_unknown]  # raises: the SDK reports the policy as not run


docker_container_no_plaintext_secret_env = resource_rule(
    name="docker-container-no-plaintext-secret-env",
    rule_id="DKR-015",
    resource_types=RESOURCE_TYPES,
    description=(
        "Docker containers receive secret-looking environment variables (passwords, tokens, "
        "keys) only as Pulumi secrets, never in plain text."
    ),
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Read the value with `config.require_secret(...)` (or from a secret resource output) "
        'and build the entry with `pulumi.Output.concat("NAME=", value)`, or mount the secret '
        "as a file and pass its path in NAME_FILE. A setting that only looks secret can be "
        "listed in the policy config `allowedNames`."
    ),
    config={"allowedNames": {"type": "array", "items": {"type": "string"}}},
    validate=_validate,
)
