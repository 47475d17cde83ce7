"""The library under the rules: what every rule shares, so a rule module is its decision.

- ``rule``: the policy factories (resource types, exceptions and metadata declared once).
- ``exceptions``: the one way to except a resource from a rule, with a reason.
- ``readers``: unknown-aware readers of provider properties.
- ``types``: the resource type tokens the rules read, each written once.
- ``ports``, ``host_paths``, ``networks``, ``images``, ``nat_rules``, ``secret_names``: shared
  domain knowledge (service ports by protocol, sensitive host paths and daemon sockets,
  "open to anywhere", image references, DNAT rules in shell text, secret-looking names).
- ``secret_marking``: keeps Pulumi's secret marker visible to policies.
"""
