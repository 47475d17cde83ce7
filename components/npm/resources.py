"""Nginx Proxy Manager's objects as Pulumi dynamic resources: the admin's password, access
lists, certificates and proxy hosts.

How the SDK runs them (pulumi 3.x, pulumi/dynamic/dynamic.py ``serialize_provider`` and
pulumi/dynamic/__main__.py): the provider object is pickled with ``dill`` (``recurse=True``)
into the resource's ``__provider`` input, and a separate provider process unpickles it for each
operation. A class of an importable module pickles by reference, so the providers here hold
no state at all (no client, no open tunnel, no secret): every operation opens its own tunnel
and login from the resource's properties, and the ``__provider`` input carries nothing but
the class's name (tests/proxies/test_npm_api.py loads it in a fresh interpreter started in
the project's directory). The engine starts the provider (``pulumi-resource-pulumi-python``:
``python -m pulumi.dynamic``) in the program's directory, so ``components`` imports there as
it does for the program; that last step needs the Pulumi CLI and is not run here.

Every resource gets ``api`` (the tunnel: ``{sshConfig, alias}``, the ssh_config relative to
the project directory so that the inputs are the same from every checkout, resolved at run time
by components/proxies/npm_tunnel.py; or ``{url}``), the admin's
email and password; passwords are secret inputs, and their outputs are listed in
``additional_secret_outputs`` so the state keeps them secret. ``read`` returns the live
object in the inputs' shape, so a hand edit in NPM's UI is a difference on the next refresh
(and the next ``up`` puts the stack's value back); an object deleted by hand reads as gone.
``diff`` names what replaces (a certificate's every field: NPM cannot update one) and what
updates in place (everything of an access list or a proxy host).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from components.proxies.npm_api import (
    NpmApi,
    NpmError,
    access_list_body,
    access_list_state,
    certificate_body,
    proxy_host_body,
    proxy_host_state,
)
from components.proxies.npm_tunnel import api_base_url

# What every resource is given to reach NPM; a change of it updates (the state's copy is what
# a later delete logs in with).
LOGIN = ("api", "adminEmail", "adminPassword")


@contextmanager
def session(props: Mapping[str, Any], password_key: str = "adminPassword") -> Iterator[NpmApi]:
    with (
        api_base_url(props["api"]) as url,
        NpmApi(url, props["adminEmail"], props[password_key]) as api,
    ):
        yield api


def _changed(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    return [key for key in keys if olds.get(key) != news.get(key)]


class NpmObjectProvider(ResourceProvider):
    """One kind of NPM object: ``FIELDS`` are its inputs (beyond the login), ``REPLACES`` the
    fields a change of which needs a new object."""

    KIND: ClassVar[str]
    FIELDS: ClassVar[tuple[str, ...]]
    REPLACES: ClassVar[tuple[str, ...]] = ()
    EXPAND: ClassVar[str] = ""

    def body(self, props: Mapping[str, Any], olds: Mapping[str, Any] | None) -> dict[str, Any]:
        raise NotImplementedError

    def state(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def create(self, props: Any) -> CreateResult:
        with session(props) as api:
            created = api.create(self.KIND, self.body(props, None))
        return CreateResult(str(created["id"]), {**props, "npmId": int(created["id"])})

    def read(self, id_: str, props: Any) -> ReadResult:
        with session(props) as api:
            live = api.get(self.KIND, int(id_), self.EXPAND)
        if live is None:
            return ReadResult(None, {})  # deleted by hand: gone from the stack's state
        return ReadResult(id_, {**props, **self.state(live, props), "npmId": int(live["id"])})

    def diff(self, id_: str, olds: Any, news: Any) -> DiffResult:
        changed = _changed(olds, news, (*self.FIELDS, *LOGIN))
        replaces = [key for key in changed if key in self.REPLACES]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, id_: str, olds: Any, news: Any) -> UpdateResult:
        with session(news) as api:
            api.update(self.KIND, int(id_), self.body(news, olds))
        return UpdateResult({**news, "npmId": int(id_)})

    def delete(self, id_: str, props: Any) -> None:
        with session(props) as api:
            api.delete(self.KIND, int(id_))


class ProxyHostProvider(NpmObjectProvider):
    KIND = "proxy-hosts"
    FIELDS = (
        "domainNames",
        "forwardScheme",
        "forwardHost",
        "forwardPort",
        "certificateId",
        "sslForced",
        "hstsEnabled",
        "http2Support",
        "blockExploits",
        "allowWebsocketUpgrade",
        "accessListId",
        "enabled",
        "advancedConfig",
        "locations",
    )

    def body(self, props: Mapping[str, Any], olds: Mapping[str, Any] | None) -> dict[str, Any]:
        return proxy_host_body(props)

    def state(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return proxy_host_state(live)


class AccessListProvider(NpmObjectProvider):
    KIND = "access-lists"
    FIELDS = ("name", "satisfyAny", "passAuth", "items", "clients")
    EXPAND = "items,clients"

    def body(self, props: Mapping[str, Any], olds: Mapping[str, Any] | None) -> dict[str, Any]:
        # On an update, a user whose password the state already holds is sent with "", which
        # keeps NPM's stored hash (no new hash each time for nothing).
        before = {i["username"]: i["password"] for i in (olds or {}).get("items", [])}
        unchanged = [
            item["username"]
            for item in props["items"]
            if olds is not None and before.get(item["username"]) == item["password"]
        ]
        return access_list_body(props, unchanged)

    def state(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        passwords = {item["username"]: item["password"] for item in props.get("items", [])}
        return access_list_state(live, passwords)


class CertificateProvider(NpmObjectProvider):
    KIND = "certificates"
    FIELDS = ("domainNames", "line", "letsencryptEmail")
    REPLACES = FIELDS  # NPM has no certificate update

    def body(self, props: Mapping[str, Any], olds: Mapping[str, Any] | None) -> dict[str, Any]:
        return certificate_body(props["line"], props["domainNames"], props["letsencryptEmail"])

    def state(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {"domainNames": list(live["domain_names"])}

    def update(self, id_: str, olds: Any, news: Any) -> UpdateResult:
        # Only the login changed (every field replaces): nothing to send.
        return UpdateResult({**news, "npmId": int(id_)})


class AdminProvider(ResourceProvider):
    """The admin's password: NPM creates the admin with the bootstrap password (which it logs);
    the first apply logs in with it and sets ``adminPassword``. Nothing is deleted with the
    resource: NPM without its admin would be locked."""

    def _ensure(self, props: Mapping[str, Any], former: str | None) -> int:
        with api_base_url(props["api"]) as url:
            with NpmApi(url, props["adminEmail"], props["adminPassword"]) as api:
                if api.can_log_in(props["adminPassword"]):
                    return int(api.me()["id"])
                for current in (props["bootstrapPassword"], former):
                    if current and api.can_log_in(current):
                        break
                else:
                    raise NpmError(
                        f"NPM refuses {props['adminEmail']} with adminPassword and with "
                        "bootstrapPassword: set the admin's password in NPM's UI to adminPassword"
                    )
            with NpmApi(url, props["adminEmail"], current) as first:
                user_id = int(first.me()["id"])
                first.set_own_password(user_id, current, props["adminPassword"])
            with NpmApi(url, props["adminEmail"], props["adminPassword"]) as api:
                api.token()  # the new password works
        return user_id

    def create(self, props: Any) -> CreateResult:
        user_id = self._ensure(props, None)
        return CreateResult(str(user_id), {**props, "userId": user_id})

    def read(self, id_: str, props: Any) -> ReadResult:
        with (
            api_base_url(props["api"]) as url,
            NpmApi(url, props["adminEmail"], props["adminPassword"]) as api,
        ):
            works = api.can_log_in(props["adminPassword"])
        # Changed by hand: the state's password no longer logs in, which the next up restores.
        return ReadResult(id_, {**props, "adminPassword": props["adminPassword"] if works else ""})

    def diff(self, id_: str, olds: Any, news: Any) -> DiffResult:
        changed = _changed(olds, news, ("adminPassword", "bootstrapPassword", *LOGIN))
        # A new adminEmail updates too: the login then needs the admin renamed in NPM's UI
        # first (the error says so); nothing is replaced, the admin is never deleted.
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, id_: str, olds: Any, news: Any) -> UpdateResult:
        user_id = self._ensure(news, olds.get("adminPassword"))
        return UpdateResult({**news, "userId": user_id})

    def delete(self, id_: str, props: Any) -> None:
        return None


def _options(
    opts: pulumi.ResourceOptions | None, secret_outputs: Sequence[str]
) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(additional_secret_outputs=list(secret_outputs))
    )


def login_props(
    api: pulumi.Input[Mapping[str, str]], email: str, password: pulumi.Input[str]
) -> dict[str, Any]:
    """The properties every NPM resource logs in with (the password a secret)."""
    return {"api": api, "adminEmail": email, "adminPassword": pulumi.Output.secret(password)}


class NpmAdmin(Resource):
    """The admin's login; its output ``userId`` (the SDK sets outputs by property name)."""

    def __init__(
        self,
        name: str,
        *,
        api: pulumi.Input[Mapping[str, str]],
        admin_email: str,
        admin_password: pulumi.Input[str],
        bootstrap_password: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            **login_props(api, admin_email, admin_password),
            "bootstrapPassword": pulumi.Output.secret(bootstrap_password),
            "userId": None,
        }
        secrets = ("adminPassword", "bootstrapPassword")
        super().__init__(AdminProvider(), name, props, _options(opts, secrets))


class NpmObject(Resource):
    @property
    def npm_id(self) -> pulumi.Output[int]:
        """The object's id in NPM (the output ``npmId``)."""
        value: pulumi.Output[int] = getattr(self, "npmId")  # noqa: B009 -- set by the SDK
        return value


class NpmCertificate(NpmObject):
    def __init__(
        self,
        name: str,
        *,
        login: Mapping[str, Any],
        domain_names: Sequence[str],
        line: str,
        letsencrypt_email: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            **login,
            "domainNames": list(domain_names),
            "line": line,
            "letsencryptEmail": letsencrypt_email,
            "npmId": None,
        }
        super().__init__(CertificateProvider(), name, props, _options(opts, ("adminPassword",)))


class NpmAccessList(NpmObject):
    def __init__(
        self,
        name: str,
        *,
        login: Mapping[str, Any],
        list_name: str,
        items: Sequence[Mapping[str, pulumi.Input[str]]],
        clients: Sequence[Mapping[str, str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            **login,
            "name": list_name,
            # Both forms must pass when both are given; Authorization never reaches the app
            # (NPM FAQ: pass_auth breaks apps that read it themselves).
            "satisfyAny": False,
            "passAuth": False,
            "items": [
                {"username": i["username"], "password": pulumi.Output.secret(i["password"])}
                for i in items
            ],
            "clients": [dict(c) for c in clients],
            "npmId": None,
        }
        secrets = ("adminPassword", "items")
        super().__init__(AccessListProvider(), name, props, _options(opts, secrets))


class NpmProxyHost(NpmObject):
    def __init__(
        self,
        name: str,
        *,
        login: Mapping[str, Any],
        host: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {**login, **host, "npmId": None}
        super().__init__(ProxyHostProvider(), name, props, _options(opts, ("adminPassword",)))
