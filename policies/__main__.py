"""The selfhosted-platform CrossGuard policy pack: `pulumi preview --policy-pack policies`."""

from pulumi_policy import PolicyPack

from cloud_firewall_restricted_inbound import cloud_firewall_restricted_inbound
from command_no_plaintext_secret import command_no_plaintext_secret
from digitalocean_database_restricted import digitalocean_database_restricted
from docker_container_capabilities_dropped import docker_container_capabilities_dropped
from docker_container_cpu_limit import docker_container_cpu_limit
from docker_container_database_volume_protected import docker_container_database_volume_protected
from docker_container_healthcheck import docker_container_healthcheck
from docker_container_image_pinned import docker_container_image_pinned
from docker_container_no_default_credentials import docker_container_no_default_credentials
from docker_container_no_docker_socket import docker_container_no_docker_socket
from docker_container_no_host_device import docker_container_no_host_device
from docker_container_no_host_namespace import docker_container_no_host_namespace
from docker_container_no_new_privileges import docker_container_no_new_privileges
from docker_container_no_plaintext_secret_env import docker_container_no_plaintext_secret_env
from docker_container_no_public_admin_port import docker_container_no_public_admin_port
from docker_container_no_public_database_port import docker_container_no_public_database_port
from docker_container_no_risky_capabilities import docker_container_no_risky_capabilities
from docker_container_no_sensitive_host_path import docker_container_no_sensitive_host_path
from docker_container_no_shared_mount_propagation import (
    docker_container_no_shared_mount_propagation,
)
from docker_container_no_unconfined_profile import docker_container_no_unconfined_profile
from docker_container_not_privileged import docker_container_not_privileged
from docker_container_port_explicit_address import docker_container_port_explicit_address
from docker_container_resource_limits import docker_container_resource_limits
from docker_container_restart_policy import docker_container_restart_policy
from docker_network_no_uplink_macvlan import docker_network_no_uplink_macvlan
from lib import secret_marking
from nat_forward_no_private_service_port import nat_forward_no_private_service_port
from proxmox_container_nesting_unprivileged_only import (
    proxmox_container_nesting_unprivileged_only,
)
from proxmox_container_unprivileged import proxmox_container_unprivileged
from server_has_firewall_and_ssh_keys import server_has_firewall_and_ssh_keys
from stateful_resource_protected import stateful_resource_protected
from uplink_single_mac import uplink_single_mac

secret_marking.install()

PolicyPack(
    name="selfhosted-platform",
    policies=[
        cloud_firewall_restricted_inbound,
        command_no_plaintext_secret,
        digitalocean_database_restricted,
        docker_container_capabilities_dropped,
        docker_container_cpu_limit,
        docker_container_no_host_device,
        docker_container_no_shared_mount_propagation,
        docker_container_database_volume_protected,
        docker_container_healthcheck,
        docker_container_image_pinned,
        docker_container_no_default_credentials,
        docker_container_no_docker_socket,
        docker_container_no_host_namespace,
        docker_container_no_new_privileges,
        docker_container_no_plaintext_secret_env,
        docker_container_no_public_admin_port,
        docker_container_no_public_database_port,
        docker_container_no_risky_capabilities,
        docker_container_no_sensitive_host_path,
        docker_container_no_unconfined_profile,
        docker_container_not_privileged,
        docker_container_port_explicit_address,
        docker_container_resource_limits,
        docker_container_restart_policy,
        docker_network_no_uplink_macvlan,
        nat_forward_no_private_service_port,
        proxmox_container_nesting_unprivileged_only,
        proxmox_container_unprivileged,
        server_has_firewall_and_ssh_keys,
        stateful_resource_protected,
        uplink_single_mac,
    ],
)
