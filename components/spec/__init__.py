"""The stack spec: pydantic models of the ``platform`` config namespace and their loader."""

from .common import SecretRef
from .errors import CONFIG_NAMESPACE, Problem, SpecError, config_path
from .hosts import CloudServerSpec, DockerHostSpec, DropletHostSpec, HcloudHostSpec, SshHostSpec
from .images import ImageRef, parse_image
from .load import (
    KNOWN_NAMESPACES,
    SECRET_PLACEHOLDER,
    SECRETS_KEY,
    check_namespaces,
    parse_platform,
)
from .platform import DockerHost, HostSpec, PlatformSpec, Publication
from .ports import PortRange
from .proxmox import GuestSpec, NatBridgeSpec, ProxmoxHostSpec, TemplateSpec
from .services import (
    ForwardExpose,
    HealthcheckSpec,
    NetworkSpec,
    PrivateExpose,
    ProxySpec,
    RouteExpose,
    ServiceSpec,
)

__all__ = [
    "CONFIG_NAMESPACE",
    "KNOWN_NAMESPACES",
    "SECRETS_KEY",
    "SECRET_PLACEHOLDER",
    "CloudServerSpec",
    "DockerHost",
    "DockerHostSpec",
    "DropletHostSpec",
    "ForwardExpose",
    "GuestSpec",
    "HcloudHostSpec",
    "HealthcheckSpec",
    "HostSpec",
    "ImageRef",
    "NatBridgeSpec",
    "NetworkSpec",
    "PlatformSpec",
    "PortRange",
    "PrivateExpose",
    "Problem",
    "ProxmoxHostSpec",
    "ProxySpec",
    "Publication",
    "RouteExpose",
    "SecretRef",
    "ServiceSpec",
    "SpecError",
    "SshHostSpec",
    "TemplateSpec",
    "check_namespaces",
    "config_path",
    "parse_image",
    "parse_platform",
]
