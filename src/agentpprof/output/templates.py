"""Where the shipped templates live, and the one Jinja2 environment.

A source checkout (or editable install) reads the top-level ``templates/`` beside ``src/``; a
wheel reads the copy packaged as ``agentpprof/templates``.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup


@functools.cache
def templates_dir() -> Path:
    package = Path(__file__).resolve().parents[1]  # src/agentpprof, or site-packages/agentpprof
    candidates = [package.parent.parent / "templates", package / "templates"]
    for cand in candidates:
        if (cand / "dashboard.html.j2").is_file():
            return cand
    raise FileNotFoundError("agentpprof templates are missing from this installation")


@functools.cache
def asset_text(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")


@functools.cache
def get_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(["html", "j2", "svg"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["include_raw"] = lambda name: Markup(asset_text(name))
    env.finalize = xml_safe
    return env


# characters XML 1.0 forbids (C0 controls but tab/newline/return, lone surrogates, U+FFFE/F): one
# in a model name or a command made a standalone SVG invalid
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: object) -> object:
    """Every value a template prints, with XML-invalid characters replaced by U+FFFD."""
    if isinstance(value, str) and _XML_INVALID.search(value):
        cleaned = _XML_INVALID.sub("\ufffd", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value
