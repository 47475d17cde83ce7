"""Grafana dashboards as JSON files, provisioned as they are (components/render/grafana.py)."""
