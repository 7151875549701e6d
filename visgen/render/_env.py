"""The single jinja2 Environment every generated file is rendered with.

Settings: :class:`jinja2.StrictUndefined` (a missing context value is an error, never
an empty string), ``trim_blocks``, ``lstrip_blocks``, ``keep_trailing_newline`` and no
autoescaping (the output is C, linker scripts and .def files, not HTML). A user's
template folder comes first in a :class:`jinja2.ChoiceLoader`, so a file there overrides
the shipped template of the same name; the others still come from visgen.

Filters registered here (and only here):

- ``c_string``: a Python string as the body of a C string literal (escapes ``\\``,
  ``"``, ``?`` (trigraphs) and non-printable characters);
- ``c_identifier``: any text made into a C identifier (other characters become ``_``).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

import jinja2

from visgen.errors import GenerationError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["c_identifier", "c_string", "environment", "render_template"]


def __dir__() -> list[str]:
    return list(__all__)


_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")


def c_identifier(text: str) -> str:
    """``text`` with every character that cannot be in a C identifier replaced by ``_``."""
    ident = _NOT_IDENT.sub("_", text)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    return ident


_PLAIN_C_STRING = re.compile(r"[A-Za-z0-9_.$@:<>,()&*~ \[\]+=-]*")


def c_string(text: str) -> str:
    """The body of a C string literal holding ``text`` (UTF-8, escaped)."""
    if _PLAIN_C_STRING.fullmatch(text):
        return text
    out: list[str] = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '\\"?':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def _shipped_templates() -> Path:
    from visgen.resources import templates_dir

    return templates_dir()


@functools.cache
def environment(user_templates: Path | None = None) -> jinja2.Environment:
    """The Environment for ``user_templates`` (a folder overriding shipped templates)."""
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None:
        if not user_templates.is_dir():
            msg = f"--templates {user_templates}: not a folder"
            raise GenerationError(msg)
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders.append(jinja2.FileSystemLoader(str(_shipped_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - C, linker scripts and .def files, not HTML
    )
    env.filters["c_string"] = c_string
    env.filters["c_identifier"] = c_identifier
    return env


def render_template(
    name: str, context: Mapping[str, object], user_templates: Path | None = None
) -> str:
    """Render template ``name``; every template problem becomes a GenerationError."""
    env = environment(user_templates)
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        msg = f"template {exc.filename or exc.name or name}:{exc.lineno}: {exc.message}"
        raise GenerationError(msg) from exc
    except jinja2.TemplateNotFound as exc:
        msg = f"template {exc.name!r} not found (needed for {name})"
        raise GenerationError(msg) from exc
    except jinja2.UndefinedError as exc:
        msg = f"template {name}: {exc.message}"
        raise GenerationError(msg) from exc
