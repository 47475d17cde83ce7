"""The stack spec: pydantic models of the ``platform`` config namespace and their loader."""

from .errors import Problem, SpecError, config_path
from .load import SECRET_KEYS, SECRET_PLACEHOLDER, parse_platform
from .models import ForwardSpec, NatBridgeSpec, PlatformSpec, ProxmoxHostSpec, ServiceSpec
from .ports import PortRange

__all__ = [
    "SECRET_KEYS",
    "SECRET_PLACEHOLDER",
    "ForwardSpec",
    "NatBridgeSpec",
    "PlatformSpec",
    "PortRange",
    "Problem",
    "ProxmoxHostSpec",
    "ServiceSpec",
    "SpecError",
    "config_path",
    "parse_platform",
]
