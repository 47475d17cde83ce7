"""DigitalOcean managed PostgreSQL: what replaces, what updates, and the shapes the program
relies on, read from digitalocean/terraform-provider-digitalocean at v2.96.0 (what
pulumi-digitalocean 4.84.1 bridges, see force_new.py).

- ``digitalocean_database_cluster``: ``name`` and ``engine`` are ForceNew, and so are
  ``private_network_uuid`` and ``project_id`` (which the program does not set); ``region`` is
  a migration in place (``Databases.Migrate``), ``size``/``node_count`` a resize
  (``Databases.Resize``), ``version`` a major upgrade in place (``UpgradeMajorVersion``).
- ``digitalocean_database_db`` and ``digitalocean_database_user``: ``name`` and ``cluster_id``
  are ForceNew; the user's ``password`` is computed and Sensitive.
- ``digitalocean_database_firewall``: ``cluster_id`` is ForceNew; ``rule`` is a set of
  ``{type, value}``, ``type`` one of ``ip_addr``, ``droplet``, ``k8s``, ``tag``, ``app``; every
  create and update sends the whole rule set (``UpdateFirewallRules``), so one firewall per
  cluster holds all of its rules (a second would overwrite the first's).
- ``digitalocean_database_ca`` (``get_database_ca``): ``certificate`` is
  ``string(ca.Certificate)``, godo's ``DatabaseCA.Certificate []byte`` (the API's base64
  decoded by encoding/json): PEM text.
- The cluster's ``host``/``port``/``user``/``password`` are the API's connection block
  (``setDatabaseConnectionInfo``).
"""

from __future__ import annotations

# The provider version the cloud layer is read at (force_new.py takes it from here).
DO = "digitalocean/terraform-provider-digitalocean@v2.96.0"
CLUSTER_GO = f"{DO}:digitalocean/database/resource_database_cluster.go"
DB_GO = f"{DO}:digitalocean/database/resource_database_db.go"
USER_GO = f"{DO}:digitalocean/database/resource_database_user.go"
FIREWALL_GO = f"{DO}:digitalocean/database/resource_database_firewall.go"
CA_GO = f"{DO}:digitalocean/database/datasource_database_ca.go"

DO_DATABASE_CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster"
DO_DATABASE_DB = "digitalocean:index/databaseDb:DatabaseDb"
DO_DATABASE_USER = "digitalocean:index/databaseUser:DatabaseUser"
DO_DATABASE_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall"

# Type -> (engine property path, source) of each ForceNew field; force_new.FORCE_NEW has them.
FORCE_NEW_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    DO_DATABASE_CLUSTER: (
        ("name", f"{CLUSTER_GO}:40-44"),
        ("engine", f"{CLUSTER_GO}:47-50"),
        ("privateNetworkUuid", f"{CLUSTER_GO}:145-148"),
        ("projectId", f"{CLUSTER_GO}:153-156"),
    ),
    DO_DATABASE_DB: (("name", f"{DB_GO}:27-30"), ("clusterId", f"{DB_GO}:33-36")),
    DO_DATABASE_USER: (("name", f"{USER_GO}:31-34"), ("clusterId", f"{USER_GO}:37-40")),
    DO_DATABASE_FIREWALL: (("clusterId", f"{FIREWALL_GO}:27-30"),),
}

# Cluster fields changed in place, and how (resourceDigitalOceanDatabaseClusterUpdate).
CLUSTER_IN_PLACE = {
    "region": f"migrated: {CLUSTER_GO}:474-479 (Databases.Migrate)",
    "size": f"resized: {CLUSTER_GO}:441-456 (Databases.Resize)",
    "nodeCount": f"resized: {CLUSTER_GO}:441-456 (Databases.Resize)",
    "version": f"major upgrade: {CLUSTER_GO}:535-537 (UpgradeMajorVersion)",
}

FIREWALL_RULE_TYPES = (f"{FIREWALL_GO}:39-48", ("ip_addr", "droplet", "k8s", "tag", "app"))
FIREWALL_WHOLE_SET = f"{FIREWALL_GO}:79, 116 (UpdateFirewallRules with every rule)"
CA_IS_PEM = f'{CA_GO}:35-40 (d.Set("certificate", string(ca.Certificate)))'
USER_PASSWORD_SENSITIVE = f"{USER_GO}:77-80"
