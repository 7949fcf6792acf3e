"""podsync.yaml: settings shared by every manifest of a project: template `vars` and the
`safety` limits apply checks before removing episodes.

The file is optional, and an empty one means "no settings" (unlike an empty show file, which is
certainly a mistake). Unknown keys are rejected by schemas/project.schema.json so a typo never
silently does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from podsync.errors import ManifestError, Problem
from podsync.model import Safety
from podsync.schema import validate, validator
from podsync.yamlload import load_yaml

CONFIG_NAME = "podsync.yaml"


@dataclass(frozen=True)
class ProjectConfig:
    root: Path  # absolute, symlinks resolved: the boundary manifest paths must stay inside
    vars: Mapping[str, object]
    safety: Safety = Safety()


def read_config(project_dir: Path) -> tuple[ProjectConfig, list[Problem]]:
    """The project's settings and every problem in podsync.yaml, handed back so load_project
    can report them together with the manifests' own. On problems the config has no vars."""
    root = project_dir.resolve()
    path = root / CONFIG_NAME
    if not path.exists() and not path.is_symlink():
        return ProjectConfig(root, MappingProxyType({})), []
    try:
        doc = load_yaml(path, allow_empty=True, within=root)
    except ManifestError as exc:
        return ProjectConfig(root, MappingProxyType({})), list(exc.problems)
    problems = list(doc.problems)
    if doc.data is not None:
        problems.extend(validate(doc, validator("project.schema.json")).problems)
    data = doc.data if isinstance(doc.data, dict) and not problems else {}
    variables = data.get("vars") or {}
    limits = data.get("safety") or {}
    safety = Safety(
        max_removal_share=float(limits.get("max_removal_share", Safety.max_removal_share)),
        min_episodes=int(limits.get("min_episodes", Safety.min_episodes)),
    )
    return ProjectConfig(root, MappingProxyType(dict(variables)), safety), problems
