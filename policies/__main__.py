"""The selfhosted-platform CrossGuard policy pack: `pulumi preview --policy-pack policies`.

The policies are the rule modules of this directory, found by ``lib.discovery`` (one module
per rule, named after it); nothing lists them here.
"""

from pulumi_policy import PolicyPack

from lib import discovery, secret_marking

secret_marking.install()

PolicyPack(name="selfhosted-platform", policies=discovery.policies())
