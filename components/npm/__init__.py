"""Nginx Proxy Manager's objects as Pulumi resources (resources.py: the dynamic providers;
routes.py: the component the build creates). The kind itself, its spec and its API client are
pure and live in components/proxies (npm.py, npm_api.py, npm_tunnel.py); this package is
where Pulumi comes in."""
