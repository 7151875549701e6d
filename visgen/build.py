"""``visgen.build``: a PEP 517 backend, scikit-build-core with the export surface guarded.

Every hook of ``scikit_build_core.build`` is re-exported unchanged except ``build_wheel``
and ``build_editable``, which:

1. lint the manifest and stop at once, with the lint output, when it has errors;
2. build the wheel with scikit-build-core, into a private folder inside the output folder;
3. open the wheel and check every ELF file in it: a file named after a manifest library
   (``lib<name>.so``, ``lib<name>_shared_registered.so``, ``lib<name>_registered.so``,
   ``lib<name>.a``) against that library's entry and variant, a Python extension module
   (``<module>.cpython-*.so``, ``<module>.abi3.so``, ``<module>.so``) against the
   ``python-extension`` policy, and all of them together with ``visgen audit``;
4. with ``check = "error"`` and an error among the findings, print them, delete the wheel
   and fail; otherwise move the wheel into the output folder (``warn`` prints findings).

Example ``pyproject.toml``::

    [build-system]
    requires = ["visgen-symbols[backend]"]
    build-backend = "visgen.build"

    [tool.visgen.build]
    manifest = "visgen.toml"   # default: the [tool.visgen] tables of pyproject.toml, else visgen.toml
    check = "error"            # error | warn | off

``-C visgen.check=warn`` (a config setting) overrides ``check`` for one build. With
``warn`` and ``off`` the CMake project is configured with ``VISGEN_CHECK=OFF`` too, so the
post-link checks of ``visgen_add_library()``/``visgen_apply()`` do not fail the build
for what the user asked only to be warned about.

Naming conventions: a *member* is a file inside the wheel (a ``/``-separated path); a
*target* is what a member is checked as (a manifest library's variant, or the
``python-extension`` policy). Hooks keep no state between calls and import visgen's
modules lazily, so ``get_requires_for_build_*`` stay as light as scikit-build-core's own.
"""

from __future__ import annotations

try:
    from scikit_build_core.build import *  # noqa: F403
    from scikit_build_core.build import __all__ as _skbuild_hooks
    from scikit_build_core.build import build_editable as _skbuild_build_editable
    from scikit_build_core.build import build_wheel as _skbuild_build_wheel
except ModuleNotFoundError as _exc:  # pragma: no cover - depends on the environment
    if _exc.name is None or not _exc.name.startswith("scikit_build_core"):
        raise
    _msg = (
        "visgen.build needs scikit-build-core: list `visgen-symbols[backend]` (not "
        "`visgen-symbols`) in [build-system] requires"
    )
    raise ModuleNotFoundError(_msg, name=_exc.name) from None

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal, NoReturn, TypeAlias, cast

from visgen.errors import VisgenError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from visgen.findings import Finding
    from visgen.model import Library, Manifest, Variant

__all__ = list(_skbuild_hooks)


def __dir__() -> list[str]:
    return list(__all__)


CheckMode = Literal["error", "warn", "off"]
CHECK_MODES: tuple[CheckMode, ...] = ("error", "warn", "off")
BUILD_KEYS = ("manifest", "check")
CONFIG_PREFIX = "visgen."
ConfigSettings: TypeAlias = "dict[str, list[str] | str]"

_ELF_MAGIC = b"\x7fELF"
_AR_MAGIC = b"!<arch>\n"
_EXTENSION_RE = re.compile(
    r"^(?P<module>[A-Za-z_][A-Za-z0-9_]*)\.(?:cpython-[^./]+|abi3|pypy[^./]*|cp\d+[^./]*)\.so$"
)
_PLAIN_MODULE_RE = re.compile(r"^(?P<module>[A-Za-z_][A-Za-z0-9_]*)\.so$")
_DSO_RE = re.compile(r"^lib(?P<stem>[^/]+?)\.so(?:\.\d+)*$")
_ARCHIVE_RE = re.compile(r"^lib(?P<stem>[^/]+?)\.a$")


class BuildConfigError(VisgenError):
    """``[tool.visgen.build]`` or a ``visgen.*`` config setting is wrong."""


# -- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildConfig:
    """What one build does, from ``pyproject.toml`` and the config settings."""

    manifest: Path | None
    """The manifest to lint and check against; ``None`` when the project has none."""
    check: CheckMode
    """What a finding in the built wheel does."""
    forwarded: ConfigSettings = field(default_factory=dict)
    """The config settings passed on to scikit-build-core (without ``visgen.*``)."""


def _suggest(key: str, choices: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(key, choices, n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def read_config(
    project: Path, config_settings: Mapping[str, list[str] | str] | None
) -> BuildConfig:
    """Read ``[tool.visgen.build]`` of ``project/pyproject.toml`` and the config settings."""
    import tomllib

    pyproject = project / "pyproject.toml"
    try:
        doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        doc = {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        msg = f"{pyproject}: cannot be read: {exc}"
        raise BuildConfigError(msg) from None
    tool = doc.get("tool", {})
    table = tool.get("visgen", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        msg = f"{pyproject}: `tool.visgen` must be a table"
        raise BuildConfigError(msg)
    build = table.get("build", {})
    where = f"{pyproject}: `tool.visgen.build"
    if not isinstance(build, dict):
        msg = f"{where}` must be a table"
        raise BuildConfigError(msg)
    for key in build:
        if key not in BUILD_KEYS:
            msg = f"{where}.{key}` is not a setting{_suggest(key, BUILD_KEYS)}; the settings are: {', '.join(BUILD_KEYS)}"
            raise BuildConfigError(msg)

    manifest_setting = build.get("manifest")
    manifest: Path | None
    if manifest_setting is not None:
        if not isinstance(manifest_setting, str) or not manifest_setting:
            msg = f"{where}.manifest` must be a path relative to the project, not {manifest_setting!r}"
            raise BuildConfigError(msg)
        manifest = Path(manifest_setting)
        if not (project / manifest).is_file():
            msg = f"{where}.manifest` names {manifest_setting!r}, which is not a file in {project}"
            raise BuildConfigError(msg)
    elif set(table) - {"build"}:
        manifest = Path("pyproject.toml")  # the [tool.visgen] tables are the manifest
    elif (project / "visgen.toml").is_file():
        manifest = Path("visgen.toml")
    else:
        manifest = None

    check = build.get("check", "error")
    check_where = f"{where}.check`"
    forwarded: ConfigSettings = {}
    for key, value in (config_settings or {}).items():
        if not key.startswith(CONFIG_PREFIX):
            forwarded[key] = value
            continue
        name = key.removeprefix(CONFIG_PREFIX)
        if name != "check":
            msg = f"config setting `{key}` is not one of visgen's{_suggest(name, ('check',))}; it has: visgen.check"
            raise BuildConfigError(msg)
        check = value[-1] if isinstance(value, list) and value else value
        check_where = f"config setting `{key}`"
    if check not in CHECK_MODES:
        msg = f"{check_where} must be one of {', '.join(CHECK_MODES)}, not {check!r}"
        raise BuildConfigError(msg)
    mode = cast("CheckMode", check)
    if mode != "error" and "cmake.define.VISGEN_CHECK" not in forwarded:
        # the post-link checks would fail the build for what should only be a warning
        forwarded["cmake.define.VISGEN_CHECK"] = "OFF"
    return BuildConfig(manifest=manifest, check=mode, forwarded=forwarded)


# -- classifying the files of a wheel ------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a member of the wheel is checked as."""

    member: str
    library: Library | None = None
    variant: Variant | None = None
    module: str | None = None
    """The extension module's name when the member is checked as one."""

    def describe(self) -> str:
        if self.library is not None:
            return f"library {self.library.name!r}, variant {self.variant}"
        if self.module is not None:
            return f"Python extension module {self.module!r} (python-extension policy)"
        return "not checked alone: neither a manifest library nor an extension module"


def classify(member: str, manifest: Manifest | None) -> Target:
    """Match a member by file name: manifest library first, then extension module."""
    name = PurePosixPath(member).name
    if manifest is not None:
        for library in manifest.libraries:
            variant = _library_variant(name, library.name)
            if variant is not None:
                return Target(member, library=library, variant=variant)
    m = _EXTENSION_RE.match(name)
    if m is None and not name.startswith("lib"):
        m = _PLAIN_MODULE_RE.match(name)
    if m is not None:
        return Target(member, module=m.group("module"))
    return Target(member)


def _library_variant(file_name: str, library: str) -> Variant | None:
    """The variant whose CMake output name ``file_name`` is, for ``library``."""
    if m := _ARCHIVE_RE.match(file_name):
        return "static" if m.group("stem") in (library, f"{library}_static") else None
    if m := _DSO_RE.match(file_name):
        stem = m.group("stem")
        if stem == library:
            return "shared"
        if stem == f"{library}_shared_registered":
            return "shared-registered"
        if stem == f"{library}_registered":
            return "registered"
    return None


# -- checking a wheel ----------------------------------------------------------------------


@dataclass
class WheelReport:
    """The outcome of :func:`check_wheel`. Findings name ``<wheel file>/<member>``."""

    wheel: str
    targets: list[Target] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Files that could not be checked (unreadable ELF); they count as errors."""
    notes: list[str] = field(default_factory=list)
    audited: bool = False
    """True when ``visgen audit`` looked at the wheel's DSOs as one set."""

    @property
    def errors(self) -> int:
        return len(self.problems) + sum(1 for f in self.findings if f.severity == "error")


def _safe_member_path(root: Path, member: str) -> Path | None:
    parts = PurePosixPath(member).parts
    if not parts or parts[0] == "/" or ".." in parts:
        return None
    return root.joinpath(*parts)


def check_wheel(wheel: Path, manifest: Manifest | None) -> WheelReport:
    """Check every ELF file (and ``ar`` archive of a manifest library) of ``wheel``."""
    import tempfile
    import zipfile

    from visgen.check import check_binary

    report = WheelReport(wheel=wheel.name)
    with tempfile.TemporaryDirectory(prefix="visgen-wheel-") as tmp:
        root = Path(tmp)
        extracted: dict[str, tuple[Path, bool]] = {}  # member -> (file, is an archive)
        with zipfile.ZipFile(wheel) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                with zf.open(info) as fh:
                    head = fh.read(8)
                if not (head.startswith(_ELF_MAGIC) or head == _AR_MAGIC):
                    continue
                dest = _safe_member_path(root, info.filename)
                if dest is None:
                    report.problems.append(f"{info.filename}: unsafe path in the wheel")
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(zf.read(info))
                extracted[info.filename] = (dest, head == _AR_MAGIC)

        for member, (path, is_archive) in sorted(extracted.items()):
            target = classify(member, manifest)
            if is_archive and target.library is None:
                continue  # an archive of something else: nothing links it from the wheel
            report.targets.append(target)
            try:
                if target.library is not None:
                    found = check_binary(path, target.library, variant=target.variant)
                elif target.module is not None:
                    found = check_binary(path, None, policy="python-extension")
                else:
                    continue
            except VisgenError as exc:
                report.problems.append(f"{member}: {exc}")
                continue
            report.findings.extend(f.replace(binary=f"{wheel.name}/{member}") for f in found)

    if not all(is_archive for _, is_archive in extracted.values()):
        _audit(report, wheel, manifest)
    return report


def _audit(report: WheelReport, wheel: Path, manifest: Manifest | None) -> None:
    """The wheel's DSOs as one set, with ``visgen audit`` (when this visgen has it).

    A ``missing-export`` the file-by-file check already reported is not repeated.
    """
    try:
        from visgen.audit import audit_paths
    except ImportError as exc:  # a visgen without audit
        if exc.name not in ("visgen.audit", "visgen"):
            raise
        report.notes.append(
            "this visgen has no `visgen audit`; the wheel was checked file by file only"
        )
        return
    from visgen.errors import VisgenError

    try:
        found = audit_paths([wheel], manifest=manifest)
    except VisgenError as exc:
        report.problems.append(f"visgen audit: {exc}")
        return
    seen = {(f.rule, f.symbol) for f in report.findings}
    prefix = f"{wheel}!"
    for f in found:
        if f.rule == "missing-export" and (f.rule, f.symbol) in seen:
            continue
        binary = f.binary
        if binary is not None and binary.startswith(prefix):
            binary = f"{wheel.name}/{binary.removeprefix(prefix)}"
        report.findings.append(f.replace(binary=binary))
    report.audited = True


# -- the hooks -----------------------------------------------------------------------------


def _say(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def _fail(message: str) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.write(f"visgen: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(1)


def _lint(project: Path, manifest: Path) -> Manifest:
    from visgen.errors import ManifestError
    from visgen.manifest import read_manifest
    from visgen.report import render

    try:
        model, findings = read_manifest(project / manifest)
    except ManifestError as exc:
        _fail(f"{exc}\nthe manifest must be fixed before the build can start")
    if findings:
        _say(render(findings, "text", command="lint"))
    errors = sum(1 for f in findings if f.severity == "error")
    if errors:
        _fail(f"{manifest} has {errors} error(s) (above); the build did not start")
    return model


def _print_report(report: WheelReport, config: BuildConfig) -> None:
    from visgen.report import render

    source = config.manifest or "no manifest"
    _say(f"visgen: checking {report.wheel} (check = {config.check!r}, manifest: {source})")
    for target in report.targets:
        _say(f"visgen:   {target.member}: {target.describe()}")
    if not report.targets:
        _say("visgen:   no ELF file in the wheel")
    if report.audited:
        _say("visgen:   and every DSO of the wheel as one set (visgen audit)")
    for note in report.notes:
        _say(f"visgen: note: {note}")
    for problem in report.problems:
        _say(f"visgen: error: {problem}")
    _say(render(report.findings, "text", command="check"))


def _build(
    hook: Callable[[str, ConfigSettings | None, str | None], str],
    wheel_directory: str,
    config_settings: dict[str, list[str] | str] | None,
    metadata_directory: str | None,
) -> str:
    import tempfile

    project = Path.cwd()
    try:
        config = read_config(project, config_settings)
    except BuildConfigError as exc:
        _fail(str(exc))
    manifest = _lint(project, config.manifest) if config.manifest is not None else None

    out = Path(wheel_directory)
    out.mkdir(parents=True, exist_ok=True)
    # built beside the output folder's content, so that only a checked wheel lands there
    with tempfile.TemporaryDirectory(prefix=".visgen-build-", dir=out) as private:
        name = hook(private, config.forwarded, metadata_directory)
        built = Path(private) / name
        if config.check == "off":
            _say("visgen: the wheel check is off ([tool.visgen.build] check = 'off')")
        else:
            report = check_wheel(built, manifest)
            _print_report(report, config)
            if report.errors and config.check == "error":
                _fail(
                    f"{name} does not match the declared export surface ({report.errors} "
                    "error(s) above); the wheel was not kept. Fix the build or the manifest, "
                    "or set [tool.visgen.build] check = 'warn' to keep such a wheel"
                )
            if report.errors:
                _say(
                    f"visgen: warning: {report.errors} error(s) above; the wheel was kept (check = 'warn')"
                )
        built.replace(out / name)
    return name


def build_wheel(  # type: ignore[no-redef]  # replaces the star-imported hook
    wheel_directory: str,
    config_settings: dict[str, list[str] | str] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """PEP 517 ``build_wheel``: lint, build with scikit-build-core, check the wheel."""
    return _build(_skbuild_build_wheel, wheel_directory, config_settings, metadata_directory)


def build_editable(  # type: ignore[no-redef]  # replaces the star-imported hook
    wheel_directory: str,
    config_settings: dict[str, list[str] | str] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """PEP 660 ``build_editable``: as :func:`build_wheel`, for scikit-build-core's editable wheel."""
    return _build(_skbuild_build_editable, wheel_directory, config_settings, metadata_directory)
