"""Pure renderers from derived plans to the text installed on hosts."""

from .host_files import HostFile, host_files
from .nat_apply import NAT_APPLY_SCRIPT, NAT_DIR
from .nftables import nat_ruleset

__all__ = ["NAT_APPLY_SCRIPT", "NAT_DIR", "HostFile", "host_files", "nat_ruleset"]
