"""Host kind proxmox: a Proxmox VE node, its NAT bridge, its LXC guests and their engines."""
