"""What identifies a user, kept out of the outputs: paths with the home folder shown as ``~``,
and keyed hashes (HMAC under a report's own secret) in place of text."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from agentpprof import defaults


def display_path(path: Path | str) -> str:
    """A path for people and outputs: the home directory is shown as ``~``."""
    text = str(path)
    home = defaults.home()
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text


def keyed_hash(key: str, text: str, n: int = 16) -> str:
    """HMAC-SHA-256 of ``text`` under a cache's secret, as ``n`` hex digits."""
    return hmac.new(
        bytes.fromhex(key), text.encode("utf-8", errors="replace"), hashlib.sha256
    ).hexdigest()[:n]
