"""One rule for "this variable name holds a secret", for every rule that reads names.

A name (compared upper-case) holds a secret when it contains PASSWORD, PASSWD, SECRET, TOKEN,
API_KEY/APIKEY, PRIVATE_KEY/PRIVATEKEY or ACCESS_KEY/ACCESSKEY, or ends with ``_KEY`` or
``_PASS`` (``SMTP_PASS``, ``RABBITMQ_DEFAULT_PASS``; a suffix only, as PASS inside a name is too
often something else: ``PASSTHROUGH``, ``BYPASS_CACHE``). It does not when it says where a
secret is or describes one rather than holding it: it ends with ``_FILE``, ``_PATH``, ``_DIR``,
``_FILENAME``, ``_URL``, ``_ENDPOINT``, ``_NAME``, ``_ID``, ``_TYPE``, ``_LENGTH``, ``_LEN``,
``_TTL``, ``_EXPIRY``, ``_EXPIRES``, ``_TIMEOUT``, ``_ENABLED``, ``_REQUIRED``, ``_POLICY`` or
``_ALGORITHM``, or with ``PUBLIC_KEY``/``HOST_KEY`` (``SSH_PUBLIC_KEY`` is public by design), or
it is one of the database images' switches whose value is a yes/no flag
(``MYSQL_ALLOW_EMPTY_PASSWORD``, ``MYSQL_RANDOM_ROOT_PASSWORD``, ...).
"""

from __future__ import annotations

import re

_SECRET = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|_KEY$|_PASS$|^PASS$"
)
_NOT_SECRET = re.compile(
    r"_(?:FILE|PATH|DIR|FILENAME|URL|ENDPOINT|NAME|ID|TYPE|LENGTH|LEN|TTL|EXPIRY|EXPIRES"
    r"|TIMEOUT|ENABLED|REQUIRED|POLICY|ALGORITHM)$|(?:PUBLIC|HOST)_?KEY$"
)
# Switches of the official and Bitnami database images: the value is a flag, not a secret.
FLAG_NAMES = frozenset(
    {
        "ALLOW_EMPTY_PASSWORD",
        "MYSQL_ALLOW_EMPTY_PASSWORD",
        "MYSQL_RANDOM_ROOT_PASSWORD",
        "MYSQL_ONETIME_PASSWORD",
        "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD",
        "MARIADB_RANDOM_ROOT_PASSWORD",
    }
)


def is_secret_name(name: str) -> bool:
    """Whether a variable called ``name`` holds a secret by its name."""
    upper = name.strip().upper()
    if upper in FLAG_NAMES or _NOT_SECRET.search(upper):
        return False
    return bool(_SECRET.search(upper))
