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

import bisect
import collections
import functools
import itertools
import operator
import re

from visgen.demangle import demangle_many, is_mangled

# Not `from typing import TYPE_CHECKING`: importing typing costs the start-up of every
# check (see visgen._lazy_literals); mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    from visgen.model import ExportEntry

__all__ = ["PatternIndex", "glob_to_regex", "is_glob", "literal_prefix", "mangled_fragments"]


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


def _has_glob_char(text: str) -> bool:
    """:func:`is_glob` for a long text: three scans in C, faster than a set or a regex."""
    return "*" in text or "?" in text or "[" in text


_EXACT_KINDS = frozenset(("symbol", "data"))
_TEXT = operator.itemgetter(0)  # ExportEntry is a tuple: (text, kind, ...)
_KIND = operator.itemgetter(1)
_FRAGMENT_STOPS = frozenset("*?[]\\")
_ENTRY = operator.itemgetter(1)  # of an (order, entry) pair
_Ranked = tuple[int, "ExportEntry | None"]
"""(manifest order, entry): the bulk paths' per-name result; :data:`_NO_ENTRY` for none."""
_NO_ENTRY: _Ranked = (1 << 62, None)
"""No entry: ranked after every entry, so any candidate replaces it."""
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


def literal_prefix(pattern: str) -> str | None:
    """``abc`` for the glob ``abc*`` (or ``abc**``): the literal text a *prefix glob*
    requires a name to start with; None for any other glob."""
    head = pattern.rstrip("*")
    if len(head) == len(pattern) or not _GLOB_CHARS.isdisjoint(head) or "\\" in head:
        return None
    return head


def _successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` (None for ``""``)."""
    while prefix and prefix[-1] == "\U0010ffff":
        prefix = prefix[:-1]
    if not prefix:
        return None
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class _PrefixTable:
    """Prefix globs by one binary search per name.

    The strings that start with a prefix ``p`` are exactly those in ``[p, succ(p))``,
    where ``succ(p)`` is ``p`` with its last character incremented. The table is a
    sorted list of *keys*: each prefix ``p``, which stands for ``p`` itself, and each
    ``succ(p)``, which stands for ``p``'s *parent* (the longest other prefix in the
    table that ``p`` starts with, or nothing). For a name, the greatest key not above it
    stands for the deepest prefix the name starts with: if that key is a prefix ``p``,
    the name lies in ``[p, succ(p))``; if it is ``succ(p)``, the name lies below
    ``succ(q)`` for the parent ``q`` (the key ``succ(q)`` sorts above ``succ(p)``) and
    at or above ``q``, and no deeper prefix of the name can exist (it would be a deeper
    ancestor of ``p`` than ``q``, or sort at or above ``succ(p)`` and so be the greater
    key). Where ``succ(p)`` equals another prefix, the prefix is the key.

    A name matches every prefix on the parent chain of its deepest one, so each key
    holds the first entry in manifest order along that chain. Nested prefixes coexist
    in a lint-clean manifest (``foo_bar*`` before ``foo*`` shadows nothing; the other
    order is a ``shadowed-pattern`` finding), which is why the chain matters.
    """

    __slots__ = ("best", "heads", "keys", "ranked", "ranked_best")

    def __init__(self, ranked: list[tuple[str, int, ExportEntry]]) -> None:
        self.ranked = ranked
        first: dict[str, tuple[int, ExportEntry]] = {}
        for prefix, order, entry in ranked:
            if prefix not in first:
                first[prefix] = (order, entry)
        prefixes = sorted(first)
        best: dict[str, tuple[int, ExportEntry]] = {}
        stands_for: dict[str, str | None] = {}  # key -> the prefix it stands for
        chain: list[str] = []
        for prefix in prefixes:
            while chain and not prefix.startswith(chain[-1]):
                chain.pop()
            parent = chain[-1] if chain else None
            own = first[prefix]
            best[prefix] = own if parent is None or own[0] < best[parent][0] else best[parent]
            stands_for[prefix] = prefix
            succ = _successor(prefix)
            if succ is not None and succ not in first:
                stands_for[succ] = parent
            chain.append(prefix)
        self.keys: list[str] = sorted(stands_for)
        # per key, the prefix a name must start with ("" for none: every name does) and
        # the entry it gets; index 0 is for names below every key
        self.heads: list[str] = ["", *(stands_for[k] or "" for k in self.keys)]
        self.best: list[tuple[int, ExportEntry] | None] = [
            None,
            *(best[h] if (h := stands_for[k]) is not None else None for k in self.keys),
        ]
        # ``best`` with :data:`_NO_ENTRY` for None, for :meth:`lookup_many`
        self.ranked_best: list[_Ranked] = [b if b is not None else _NO_ENTRY for b in self.best]

    def lookup(self, name: str) -> tuple[int, ExportEntry] | None:
        i = bisect.bisect_right(self.keys, name)
        if name.startswith(self.heads[i]):
            return self.best[i]
        return self._scan(name)  # pragma: no cover - unreachable, see the class docstring

    def _scan(self, name: str) -> tuple[int, ExportEntry] | None:
        """The first prefix glob (in manifest order) that ``name`` starts with."""
        for prefix, order, entry in sorted(self.ranked, key=operator.itemgetter(1)):
            if name.startswith(prefix):
                return order, entry
        return None

    def lookup_many(self, names: Sequence[str]) -> list[_Ranked]:
        """:meth:`lookup` for each name (:data:`_NO_ENTRY` for None), without a
        Python-level loop.

        The greatest key not above a name is the answer (the class docstring shows it),
        so the ``heads`` test of :meth:`lookup` is left out here: two passes over every
        name that never change a result (``test_prefix_table_agrees_with_fnmatch``
        compares both with :func:`fnmatch.fnmatchcase`).
        """
        return list(
            map(
                self.ranked_best.__getitem__,
                map(functools.partial(bisect.bisect_right, self.keys), names),
            )
        )


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
        self._globs: list[tuple[int, ExportEntry]] = []
        self._cxx: list[tuple[int, ExportEntry]] = []
        self._cxx_frags: list[tuple[str, ...]] = []
        self._order: dict[ExportEntry, int] = {}
        glob_texts: list[str] = []
        cxx_texts: list[str] = []
        prefix_globs: list[tuple[str, int, ExportEntry]] = []
        for order, entry in self._split_exact():
            text = entry.text
            self._order[entry] = order
            if entry.kind == "cxx":
                self._cxx_frags.append(mangled_fragments(text))
                if is_glob(text):
                    self._cxx.append((order, entry))
                    cxx_texts.append(glob_to_regex(text))
                else:
                    self._cxx_exact.setdefault(text, entry)
            elif is_glob(text):
                prefix = literal_prefix(text)
                if prefix is not None:
                    prefix_globs.append((prefix, order, entry))
                else:
                    self._globs.append((order, entry))
                    glob_texts.append(glob_to_regex(text))
            else:
                self._exact.setdefault(text, entry)
        self._prefix = _PrefixTable(prefix_globs) if prefix_globs else None
        self._glob_rx = _combined(glob_texts)
        self._cxx_rx = _combined(cxx_texts)

    def _split_exact(self) -> list[tuple[int, ExportEntry]]:
        """Fill ``_exact`` in bulk from the ``symbols`` and ``data`` entries when that
        is the same as taking every entry in turn (no wildcard among them, and no other
        entry that is an exact name); return the (order, entry) pairs left to index one
        by one (all of them otherwise)."""
        entries = self.entries
        kinds = list(map(_KIND, entries))
        if _EXACT_KINDS.issuperset(kinds):  # the common case of a large manifest
            bulk: Sequence[ExportEntry] = entries
            texts = list(map(_TEXT, entries))
            others: list[tuple[int, ExportEntry]] = []
        else:
            exact = list(map(_EXACT_KINDS.__contains__, kinds))
            bulk = list(itertools.compress(entries, exact))
            texts = list(map(_TEXT, bulk))
            others = [
                (k, e) for k, e in itertools.compress(enumerate(entries), map(operator.not_, exact))
            ]
        if (
            texts
            and not _has_glob_char("\0".join(texts))
            and not any(e.kind != "cxx" and not is_glob(e.text) for _, e in others)
        ):
            # the first entry of a name wins: insert in reverse, so it is written last
            self._exact = dict(zip(reversed(texts), reversed(bulk), strict=True))
            return others
        return list(enumerate(entries))

    @property
    def needs_demangling(self) -> bool:
        """True when some entry is matched against demangled names."""
        return bool(self._cxx or self._cxx_exact)

    @property
    def _has_patterns(self) -> bool:
        return self._prefix is not None or self._glob_rx is not None or self.needs_demangling

    def _glob_match(self, name: str) -> tuple[int, ExportEntry] | None:
        best = self._prefix.lookup(name) if self._prefix is not None else None
        if self._glob_rx is not None:
            m = self._glob_rx.fullmatch(name)
            if m is not None:
                cand = self._globs[m.lastindex - 1 if m.lastindex else 0]
                if best is None or cand[0] < best[0]:
                    best = cand
        return best

    def _cxx_match(
        self, demangled: str, best: tuple[int, ExportEntry] | None
    ) -> tuple[int, ExportEntry] | None:
        if self._cxx_rx is not None:
            m = self._cxx_rx.fullmatch(demangled)
            if m is not None:
                cand = self._cxx[m.lastindex - 1 if m.lastindex else 0]
                if best is None or cand[0] < best[0]:
                    best = cand
        return best

    def _lookup(self, name: str, demangled: str | None) -> ExportEntry | None:
        entry = self._exact.get(name)
        if entry is None and demangled is not None:
            entry = self._cxx_exact.get(demangled)
        if entry is None:
            best = self._glob_match(name)
            if demangled is not None:
                best = self._cxx_match(demangled, best)
            entry = best[1] if best is not None else None
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

    def _cxx_candidates(self, names: Sequence[str], mangled: list[int]) -> list[int]:
        """The positions (among ``mangled``, positions of mangled names) of the names
        that may match a C++ entry (:meth:`_cxx_candidate_names`)."""
        if any(not frags for frags in self._cxx_frags):
            return mangled
        wanted = set(self._cxx_candidate_names(list(map(names.__getitem__, mangled))))
        return [k for k in mangled if names[k] in wanted]

    def _cxx_candidate_names(self, mangled: Sequence[str]) -> list[str]:
        """The mangled names that may match a C++ entry: those holding every fragment
        of some entry (:func:`mangled_fragments`), each once.

        One search of the names joined by NUL per entry, for its innermost fragment
        (``2cl`` is rarer than ``4llvm`` in ``llvm::cl::*``), then a look at each name
        found. Linkage names come from string tables, whose strings end at a NUL, so
        none holds one (counting them would cost a third of the search)."""
        if any(not frags for frags in self._cxx_frags):
            return list(mangled)
        blob = "\0" + "\0".join(mangled) + "\0"
        # an exact C++ entry spelling a mangled name the demangler rejects (which stands
        # for itself) holds no fragment of its own: look for the name itself
        found: dict[str, None] = dict.fromkeys(
            k for k in self._cxx_exact if is_mangled(k) and f"\0{k}\0" in blob
        )
        for frags in dict.fromkeys(self._cxx_frags):
            key, others = frags[-1], frags[:-1]
            at = blob.find(key)
            while at >= 0:
                start = blob.rfind("\0", 0, at) + 1
                end = blob.find("\0", at)
                name = blob[start:end]
                if not others or all(f in name for f in others):
                    found[name] = None
                at = blob.find(key, end)
        return list(found)

    def match_list(
        self, names: Sequence[str], demangled: Mapping[str, str] | None = None
    ) -> list[ExportEntry | None]:
        """The entry that claims each of ``names`` (None for none), in order; ``hits`` is
        not updated (see :meth:`match_names`).

        Only mangled names that can match a C++ entry are demangled (one batch);
        ``demangled`` may supply names already demangled.
        """
        if not self._exact:
            out: list[ExportEntry | None] = [None] * len(names)
        else:
            out = list(map(self._exact.get, names))
        if not self._has_patterns:
            return out
        if self._exact:
            todo = [k for k, e in enumerate(out) if e is None]
            rest = [names[k] for k in todo]
        else:
            todo = None
            rest = list(names)
        best: list[_Ranked] = (
            self._prefix.lookup_many(rest) if self._prefix is not None else [_NO_ENTRY] * len(rest)
        )
        if self._glob_rx is not None:
            globs = self._globs
            hits = list(map(self._glob_rx.fullmatch, rest))
            for k in itertools.compress(range(len(hits)), hits):
                m = hits[k]
                assert m is not None  # a row of ``hits``
                cand = globs[m.lastindex - 1 if m.lastindex else 0]
                if cand[0] < best[k][0]:
                    best[k] = cand
        if self.needs_demangling:
            self._match_cxx(rest, best, demangled)
        found: list[ExportEntry | None] = list(map(_ENTRY, best))
        if todo is None:
            return found
        for k, e in zip(todo, found, strict=True):
            out[k] = e
        return out

    def _match_cxx(
        self,
        names: Sequence[str],
        best: list[_Ranked],
        demangled: Mapping[str, str] | None,
    ) -> None:
        """Fold the C++ entries into ``best`` (per name: the first entry in manifest order)."""
        is_z = list(map(str.startswith, names, itertools.repeat("_Z")))
        everyone = range(len(names))
        candidates = self._cxx_candidates(names, list(itertools.compress(everyone, is_z)))
        cand_names = list(map(names.__getitem__, candidates))
        known: Mapping[str, str] = demangled if demangled is not None else {}
        wanted = [n for n in cand_names if n not in known] if known else cand_names
        if wanted:
            known = {**known, **demangle_many(wanted)}
        # a name that is not mangled is its own demangled name
        plain = list(itertools.compress(everyone, map(operator.not_, is_z)))
        ks = plain + candidates
        texts = list(map(names.__getitem__, plain))
        texts += map(known.__getitem__, cand_names)
        for j, cand, exact in self._cxx_hits(texts):
            k = ks[j]
            # an exact C++ name wins over every pattern, C globs too (GNU ld looks up
            # exact names, C and C++, before any wildcard), as in :meth:`match`
            if exact or cand[0] < best[k][0]:
                best[k] = cand

    def _cxx_hits(self, texts: Sequence[str]) -> Iterator[tuple[int, _Ranked, bool]]:
        """For each of ``texts`` (demangled names) that a C++ entry claims: its position,
        the entry with its manifest order, and whether the entry is an exact name. The
        look-ups run in bulk; a Python-level step only for the texts some entry claims."""
        exact_hits = list(map(self._cxx_exact.get, texts)) if self._cxx_exact else None
        rx_hits = list(map(self._cxx_rx.fullmatch, texts)) if self._cxx_rx is not None else None
        if exact_hits is None or rx_hits is None:
            hit: Sequence[object] = exact_hits if exact_hits is not None else rx_hits or ()
        else:
            hit = list(map(operator.or_, map(bool, exact_hits), map(bool, rx_hits)))
        for j in itertools.compress(range(len(texts)), hit):
            entry = exact_hits[j] if exact_hits is not None else None
            if entry is not None:
                yield j, (self._order[entry], entry), True
                continue
            m = rx_hits[j]  # type: ignore[index]
            assert m is not None  # a row of ``hit``
            yield j, self._cxx[m.lastindex - 1 if m.lastindex else 0], False

    def claims(self, names: Sequence[str]) -> tuple[set[ExportEntry], list[str]]:
        """The entries that claim at least one of ``names``, and the names no entry
        claims (in the order given), for sorted ``names`` without duplicates: what a
        check needs, without the entry of every name that :meth:`match_list` gives.

        Sorted, the names that share their deepest prefix glob form runs between the
        keys of the prefix table, so one binary search per key (not per name) finds
        them. Only the names that another glob or a C++ entry matches (usually few) are
        matched one by one; every other name of a run belongs to the run's entry.
        ``hits`` is not updated.
        """
        claimed: set[ExportEntry] = set()
        if self._exact:
            exact = list(map(self._exact.get, names))
            claimed.update(filter(None, exact))
            rest: Sequence[str] = list(itertools.compress(names, map(operator.not_, exact)))
        else:
            rest = names
        if not self._has_patterns or not rest:
            return claimed, list(rest)
        special, demangled = self._special(rest)
        found = dict(zip(special, self.match_list(special, demangled), strict=True))
        claimed.update(filter(None, found.values()))
        table = self._prefix
        if table is None:
            return claimed, [n for n in rest if found.get(n) is None]
        cuts = [0, *map(functools.partial(bisect.bisect_left, rest), table.keys), len(rest)]
        # per run: how many of its names were matched one by one (run i holds the names
        # from key i - 1 up to key i, as bisect_right numbers them)
        taken = collections.Counter(map(functools.partial(bisect.bisect_right, table.keys), found))
        unclaimed: list[str] = []
        for i, (_, entry) in enumerate(table.ranked_best):
            lo, hi = cuts[i], cuts[i + 1]
            if hi == lo:
                continue
            if entry is None:
                unclaimed += (n for n in itertools.islice(rest, lo, hi) if found.get(n) is None)
            elif hi - lo > taken[i]:
                claimed.add(entry)  # it claims the names of the run nothing else matches
        return claimed, unclaimed

    def _special(self, names: Sequence[str]) -> tuple[list[str], dict[str, str]]:
        """The names that a glob other than a prefix glob, or a C++ entry, matches (the
        names :meth:`claims` matches one by one), and the demangled forms it computed;
        ``names`` sorted."""
        special: dict[str, None] = {}
        if self._glob_rx is not None:
            hit = map(self._glob_rx.fullmatch, names)
            special.update(dict.fromkeys(itertools.compress(names, hit)))
        demangled: dict[str, str] = {}
        if self.needs_demangling:
            # sorted, the mangled names (``_Z...``) are one block
            lo, hi = bisect.bisect_left(names, "_Z"), bisect.bisect_left(names, "_[")
            plain = [*itertools.islice(names, lo), *itertools.islice(names, hi, None)]
            picks = self._cxx_candidate_names(names[lo:hi])
            if picks:
                demangled = demangle_many(picks)
            keys = plain + list(demangled)
            texts = plain + list(demangled.values())
            special.update(dict.fromkeys(keys[j] for j, _, _ in self._cxx_hits(texts)))
        return list(special), demangled

    def match_names(
        self, names: Iterable[str], demangled: dict[str, str] | None = None
    ) -> dict[str, ExportEntry]:
        """Match many names at once: ``{name: entry}`` for the names some entry claims.

        Only mangled names that can match a C++ entry are demangled (one batch);
        ``demangled`` may supply names already demangled.
        """
        seq = names if isinstance(names, list | tuple) else list(names)
        found = self.match_list(seq, demangled)
        result = dict(itertools.compress(zip(seq, found, strict=True), found))
        self.hits.update(result.values())
        return result

    def unmatched(self) -> list[ExportEntry]:
        """Entries (in manifest order) that have claimed no name so far."""
        entries = self.entries
        return list(itertools.compress(entries, map(operator.not_, map(self.hits.get, entries))))
