"""What Grafana reads from its provisioning files (Grafana does not run here; its source does).

Read in grafana/grafana (main branch as stored by the source index; the structs below have the
same yaml tags in the 11.x line the image runs):

- Datasources, apiVersion 1: pkg/services/provisioning/datasources/types.go (commit
  01c834234982), ``configsV1`` (lines 61-67: ``datasources``, ``deleteDatasources``) and
  ``upsertDataSourceFromConfigV1`` (lines 101-120), whose yaml tags are ``DATASOURCE_KEYS``;
  ``createInsertCommand`` keeps a given ``uid`` and derives one from the name only when it is
  empty (``safeUIDFromName``): a fixed uid is what dashboards can reference. ``editable: false``
  becomes ``ReadOnly: !ds.Editable``.
- Dashboard providers, apiVersion 1: pkg/services/provisioning/dashboards/types.go,
  ``configV1`` (``providers``, lines 50-52) and ``configs`` (lines 54-65), whose yaml tags are
  ``DASHBOARD_PROVIDER_KEYS``; provider names must be unique (``mapToDashboardsAsConfig``:
  "dashboard name %q is not unique").
- A file provider's options: pkg/services/provisioning/dashboards/file_reader.go
  ``NewDashboardFileReader``: ``cfg.Options["path"]`` (``folder`` is its deprecated spelling)
  and ``cfg.Options["foldersFromFilesStructure"]``.
- Expansion: every provisioning value above is a ``values.*Value``
  (pkg/services/provisioning/values/values.go); their unmarshalling calls ``interpolateValue``,
  which splits the text on ``$$``, expands ``$NAME``/``${NAME}`` in each part
  (``os.ExpandEnv``, after ``setting.ExpandVar``) and joins the parts with ``$``: ``$$`` is a
  literal dollar, a lone ``$`` starts a variable. Dashboard JSON files are read by the file
  reader as JSON (no values.*), so ``$__rate_interval`` in a query stays as written.
"""

from __future__ import annotations

DATASOURCE_FILE_KEYS = frozenset({"apiVersion", "datasources", "deleteDatasources"})
DATASOURCE_KEYS = frozenset(
    {
        "orgId",
        "orgName",
        "version",
        "name",
        "type",
        "access",
        "url",
        "user",
        "database",
        "basicAuth",
        "basicAuthUser",
        "withCredentials",
        "isDefault",
        "correlations",
        "jsonData",
        "secureJsonData",
        "editable",
        "uid",
    }
)
DASHBOARD_FILE_KEYS = frozenset({"apiVersion", "providers"})
DASHBOARD_PROVIDER_KEYS = frozenset(
    {
        "name",
        "type",
        "orgId",
        "folder",
        "folderUid",
        "editable",
        "options",
        "disableDeletion",
        "updateIntervalSeconds",
        "allowUiUpdates",
    }
)
FILE_PROVIDER_OPTIONS = frozenset({"path", "folder", "foldersFromFilesStructure"})

# A datasource's ``type`` is its plugin's id: grafana/grafana
# public/app/plugins/datasource/loki/plugin.json (commit 053b15c51dca) line 4, ``"id": "loki"``;
# the built-in Prometheus and Alertmanager plugins' ids are ``prometheus`` and ``alertmanager``
# (public/app/plugins/datasource/{prometheus,alertmanager}/plugin.json).
LOKI_PLUGIN_ID = "loki"


def interpolate(value: str, env: dict[str, str]) -> str:
    """What values.go ``interpolateValue`` makes of ``value`` (``os.ExpandEnv`` per part)."""
    import re  # noqa: PLC0415

    def expand(part: str) -> str:
        return re.sub(
            r"\$\{([^}]*)\}|\$([A-Za-z0-9_]+)",
            lambda m: env.get(m.group(1) or m.group(2), ""),
            part,
        )

    return "$".join(expand(part) for part in value.split("$$"))
