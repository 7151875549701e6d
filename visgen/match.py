"""Match linkage names against a library's export entries, fast.

A loop of :func:`fnmatch.fnmatchcase` calls costs 1-2 s for 44,000 names and 200
patterns. :class:`PatternIndex` instead indexes the entries by shape:

- exact linkage names (``symbols``, ``data``, exact ``optional``) in a dict;
- exact C++ names (a ``cxx`` entry without a wildcard) in a dict over demangled names;
- every glob over linkage names in one combined regular expression, and every C++
  pattern in another. Each alternative ends in an empty capture group, so
  ``match.lastindex`` names the entry, and the regex engine (which tries the
  alternatives in order) returns the first one in manifest order. Alternatives start
  with their literal text, which the engine skips in one comparison when it differs.

Precedence follows GNU ld version scripts: an exact name wins over every pattern; among
patterns, the first in manifest order wins. A C++ pattern is matched against the
demangled name, and a name that is not mangled is its own demangled name (as in ld).

Only ``_Z`` names are ever demangled, and :meth:`PatternIndex.match_names` demangles only
the candidates: a C++ pattern's complete identifiers must occur length-prefixed in the
mangled name (``asyncrt::Runtime::*`` needs ``7asyncrt`` and ``7Runtime``).

Example::

    index = PatternIndex(library.entries_for("linux"))
    matched = index.match_names(names)      # {name: entry}
    for entry in index.unmatched():         # entries that claimed no name
        ...

Naming conventions: *name* is a linkage name, *demangled* its demangled form, *entry* an
:class:`~visgen.model.ExportEntry`; an entry *hits* a name when it is the entry that
claims the name under the precedence above.
"""

from __future__ import annotations

import collections
import re
from typing import TYPE_CHECKING

from visgen.demangle import demangle_many, is_mangled

if TYPE_CHECKING:
    from collections.abc import Iterable

    from visgen.model import ExportEntry

__all__ = ["PatternIndex", "glob_to_regex", "is_glob", "mangled_fragments"]


def __dir__() -> list[str]:
    return list(__all__)


_GLOB_CHARS = frozenset("*?[")

# Identifiers that appear in demangled names without a length-prefixed source name in
# the mangled one: builtin types and qualifiers, the std abbreviations (St, Sa, Sb, Ss,
# Si, So, Sd), and the words of special names ("vtable for", "{lambda()#1}", ...).
# fmt: off
_NOT_SOURCE_NAMES = frozenset(
    (
        "void", "bool", "char", "wchar_t", "char8_t", "char16_t", "char32_t", "short", "int",
        "long", "signed", "unsigned", "float", "double", "__int128", "__float128", "__float80",
        "__ieee128", "_Float16", "_Float32", "_Float64", "_Float128", "decltype", "auto", "const",
        "volatile", "restrict", "__restrict", "noexcept", "throw", "operator", "new", "delete",
        "sizeof", "alignof", "typeid", "true", "false", "nullptr", "this", "std", "allocator",
        "basic_string", "string", "char_traits", "basic_istream", "istream", "basic_ostream",
        "ostream", "basic_iostream", "iostream", "vtable", "for", "typeinfo", "name", "guard",
        "variable", "VTT", "construction", "covariant", "return", "thunk", "to", "virtual", "non",
        "reference", "temporary", "transaction", "safe", "clone", "TLS", "init", "function",
        "wrapper", "hidden", "alias", "lambda", "anonymous", "namespace", "unnamed", "constprop",
        "isra", "part", "cold", "lto", "priv", "local", "abi", "cxx11", "__cxx11", "literal",
    )
)
# fmt: on
_FRAGMENT_STOPS = frozenset("*?[]\\")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_glob(text: str) -> bool:
    """True when ``text`` holds a shell-style wildcard (``*``, ``?`` or ``[``)."""
    return not _GLOB_CHARS.isdisjoint(text)


def glob_to_regex(pattern: str) -> str:
    """Translate a shell-style glob (fnmatch semantics, as GNU ld uses) to regex text.

    The result has no capture groups and no anchors: ``*`` matches any run of
    characters (``/`` and ``::`` included), ``?`` one character, ``[...]`` a class
    (``[!...]`` or ``[^...]`` negated), and ``\\`` escapes the next character.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            while i < n and pattern[i] == "*":
                i += 1
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\" and i < n:
            out.append(re.escape(pattern[i]))
            i += 1
        elif c == "[":
            j = i
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))
                continue
            body = pattern[i:j]
            i = j + 1
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\").replace("[", "\\[")
            out.append(f"[{'^' if negate else ''}{body}]")
        else:
            out.append(re.escape(c))
    return "".join(out)


def mangled_fragments(pattern: str) -> tuple[str, ...]:
    """Length-prefixed source names every mangled name matching a C++ pattern contains.

    Only identifiers bounded on both sides by non-identifier, non-wildcard characters
    count (``Run*`` says nothing about the whole identifier), and identifiers that the
    Itanium ABI can spell without a source name (``std``, ``int``, ...) are skipped. An
    empty tuple means "any mangled name may match".
    """
    frags: list[str] = []
    for m in _IDENT.finditer(pattern):
        start, end = m.span()
        before = pattern[start - 1] if start else ""
        after = pattern[end] if end < len(pattern) else ""
        if before in _FRAGMENT_STOPS or after in _FRAGMENT_STOPS:
            continue
        ident = m.group()
        if ident in _NOT_SOURCE_NAMES or ident.startswith("operator"):
            continue
        frag = f"{len(ident)}{ident}"
        if frag not in frags:
            frags.append(frag)
    return tuple(frags)


def _combined(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"{p}()" for p in patterns), re.DOTALL)


class PatternIndex:
    """The export entries of a library, indexed for matching linkage names.

    ``hits`` counts, per entry, the names it claimed (through :meth:`match` or
    :meth:`match_names`); :meth:`unmatched` lists the entries that claimed none.
    """

    def __init__(self, entries: Iterable[ExportEntry]) -> None:
        self.entries: tuple[ExportEntry, ...] = tuple(entries)
        self.hits: collections.Counter[ExportEntry] = collections.Counter()
        self._exact: dict[str, ExportEntry] = {}
        self._cxx_exact: dict[str, ExportEntry] = {}
        glob_texts: list[str] = []
        self._globs: list[ExportEntry] = []
        cxx_texts: list[str] = []
        self._cxx: list[ExportEntry] = []
        self._cxx_frags: list[tuple[str, ...]] = []
        for entry in self.entries:
            text = entry.text
            if entry.kind == "cxx":
                if is_glob(text):
                    self._cxx.append(entry)
                    cxx_texts.append(glob_to_regex(text))
                    self._cxx_frags.append(mangled_fragments(text))
                else:
                    self._cxx_exact.setdefault(text, entry)
                    self._cxx_frags.append(mangled_fragments(text))
            elif is_glob(text):
                self._globs.append(entry)
                glob_texts.append(glob_to_regex(text))
            else:
                self._exact.setdefault(text, entry)
        self._glob_rx = _combined(glob_texts)
        self._cxx_rx = _combined(cxx_texts)
        self._order = {id(e): i for i, e in enumerate(self.entries)}

    @property
    def needs_demangling(self) -> bool:
        """True when some entry is matched against demangled names."""
        return bool(self._cxx or self._cxx_exact)

    def _pattern_match(self, name: str, demangled: str | None) -> ExportEntry | None:
        best: ExportEntry | None = None
        if self._glob_rx is not None:
            m = self._glob_rx.fullmatch(name)
            if m is not None:
                best = self._globs[m.lastindex - 1 if m.lastindex else 0]
        if self._cxx_rx is not None and demangled is not None:
            m = self._cxx_rx.fullmatch(demangled)
            if m is not None:
                cand = self._cxx[m.lastindex - 1 if m.lastindex else 0]
                if best is None or self._order[id(cand)] < self._order[id(best)]:
                    best = cand
        return best

    def _lookup(self, name: str, demangled: str | None) -> ExportEntry | None:
        entry = self._exact.get(name)
        if entry is None and demangled is not None:
            entry = self._cxx_exact.get(demangled)
        if entry is None:
            entry = self._pattern_match(name, demangled)
        return entry

    def match(self, name: str, demangled: str | None = None) -> ExportEntry | None:
        """The entry that claims ``name``, or None.

        ``demangled`` saves a demangler call when the caller has it already; it is
        computed when needed and not given.
        """
        entry = self._exact.get(name)
        if entry is None:
            if demangled is None and self.needs_demangling:
                demangled = demangle_many((name,))[name] if is_mangled(name) else name
            entry = self._lookup(name, demangled)
        if entry is not None:
            self.hits[entry] += 1
        return entry

    def _may_match_cxx(self, name: str) -> bool:
        return any(all(f in name for f in frags) for frags in self._cxx_frags)

    def match_names(
        self, names: Iterable[str], demangled: dict[str, str] | None = None
    ) -> dict[str, ExportEntry]:
        """Match many names at once: ``{name: entry}`` for the names some entry claims.

        Only mangled names that can match a C++ entry are demangled (one batch);
        ``demangled`` may supply names already demangled.
        """
        result: dict[str, ExportEntry] = {}
        exact = self._exact
        rest: list[str] = []
        for name in names:
            entry = exact.get(name)
            if entry is not None:
                result[name] = entry
            else:
                rest.append(name)
        known = demangled if demangled is not None else {}
        if self.needs_demangling:
            wanted = [
                n for n in rest if is_mangled(n) and n not in known and self._may_match_cxx(n)
            ]
            if wanted:
                known = {**known, **demangle_many(wanted)}
        use_cxx = self.needs_demangling
        lookup = self._lookup
        if self._glob_rx is None and not use_cxx:
            rest = []
        for name in rest:
            dm = (known.get(name) if is_mangled(name) else name) if use_cxx else None
            entry = lookup(name, dm)
            if entry is not None:
                result[name] = entry
        self.hits.update(result.values())
        return result

    def unmatched(self) -> list[ExportEntry]:
        """Entries (in manifest order) that have claimed no name so far."""
        return [e for e in self.entries if not self.hits[e]]
