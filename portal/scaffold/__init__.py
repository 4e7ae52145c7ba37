"""``yanxiu plugins new NAME`` (or ``flask plugins new NAME``): write a working plugin package skeleton.

The files under ``template/`` are :class:`string.Template` texts (``$key``, ``$package``, …);
``package/`` becomes the Python package and ``package/templates/`` its Jinja folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from string import Template

from portal.hookspecs import CONTRACT_VERSION
from portal.messages import shown

TEMPLATE_DIR = Path(__file__).resolve().parent / "template"
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
#: The generated type's Chinese name: shown on every page until the author changes it (the
#: generated README, the command's output and a comment beside it say so).
NAME_ZH_PLACEHOLDER = Template("【待改名】$key")
#: The portal's distribution (its ``pyproject.toml`` name): what a plugin's ``dependencies`` name
#: for ``portal`` and ``workflows``, which it imports.
PORTAL_DISTRIBUTION = "yanxiu"


class ScaffoldError(ValueError):
    """The name or the output folder is unusable; nothing was written."""


@dataclass(frozen=True)
class PluginNames:
    key: str  # activity type key and entry-point name: lesson_study
    package: str  # Python package: yanxiu_lesson_study
    distribution: str  # pip name: yanxiu-lesson-study
    class_name: str  # LessonStudy

    @classmethod
    def from_name(cls, name: str) -> PluginNames:
        key = name.strip().lower().replace("-", "_")
        if not KEY_RE.match(key):
            raise ScaffoldError(
                f"'{shown(name)}': a plugin name is 2–40 lowercase ASCII letters, digits or '_', starting with a letter"
            )
        return cls(key, f"yanxiu_{key}", f"yanxiu-{key.replace('_', '-')}", "".join(p.title() for p in key.split("_")))


def _substitutions(names: PluginNames) -> dict[str, str]:
    return {
        "key": names.key,
        "package": names.package,
        "distribution": names.distribution,
        "class_name": names.class_name,
        "contract_version": CONTRACT_VERSION,
        "contract_major": CONTRACT_VERSION.split(".")[0],
        "portal_distribution": PORTAL_DISTRIBUTION,
        "name_zh_placeholder": NAME_ZH_PLACEHOLDER.substitute(key=names.key),
    }


def _target_path(relative: Path, names: PluginNames) -> Path:
    parts = [names.package if p == "package" else p for p in relative.parts]
    parts = [p.replace("__key__", names.key) for p in parts]
    last = parts[-1]
    if last.endswith(".tmpl"):
        parts[-1] = last[: -len(".tmpl")]
    return Path(*parts)


def create_plugin(name: str, output: Path) -> list[Path]:
    """Write the skeleton of plugin ``name`` into ``output`` (which must not exist or be empty).

    :returns: the files written.
    """
    names = PluginNames.from_name(name)
    taken = {ep.name: ep.value for ep in entry_points(group="portal.plugins")}
    if names.key in taken:  # installed, it could never load beside the one of that name
        raise ScaffoldError(f"'{shown(name)}': a plugin named {names.key!r} is installed already "
                            f"({taken[names.key]}); choose another name")
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise ScaffoldError(f"{output} exists and is not an empty folder")
    if output.is_symlink() and not output.exists():
        raise ScaffoldError(f"cannot write the plugin into {output}: a link to a folder that does not exist")
    try:  # the folder first: one that cannot be made (a file in its path, no right) leaves nothing written
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScaffoldError(f"cannot write the plugin into {output}: {exc.strerror}") from None
    values = _substitutions(names)
    written: list[Path] = []
    for source in sorted(TEMPLATE_DIR.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        target = output / _target_path(source.relative_to(TEMPLATE_DIR), names)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(target)
    return written
