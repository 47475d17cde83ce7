"""Host kinds droplet and hcloud: servers the program creates, on one base."""
