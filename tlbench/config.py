"""params.yaml, read once and checked against the registry before any work starts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import TlbenchError
from .registry import BACKBONES, CLASSIFIERS, PROFILES, PROTOCOLS, TASKS, backbone, check_name, check_scene


@dataclass
class Params:
    raw: dict
    path: Path

    @classmethod
    def load(cls, path: str | Path = "params.yaml") -> "Params":
        path = Path(path)
        if not path.is_file():
            raise TlbenchError(f"{path} not found: run tlbench from the repository root or pass --params")
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise TlbenchError(f"{path} is not valid YAML: {exc}") from None
        params = cls(raw, path)
        params.validate()
        return params

    def get(self, dotted: str):
        node = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise TlbenchError(f"{self.path}: missing `{dotted}` (see the params.yaml in the repository for defaults)")
            node = node[part]
        return node

    @property
    def profile(self) -> str:
        return self.get("profile")

    @property
    def seed(self) -> int:
        return int(self.get("seed"))

    def profile_get(self, key: str):
        return self.get(f"profiles.{self.profile}.{key}")

    @property
    def root_dir(self) -> Path:
        return self.path.resolve().parent

    def resolve_path(self, value: str | Path) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.root_dir / p

    def validate(self) -> None:
        from .catalog import CATALOG

        check_name("profile", self.profile, dict.fromkeys(PROFILES))
        for key in self.profile_get("datasets"):
            check_name(f"dataset in profiles.{self.profile}.datasets", key, CATALOG)
        for name in self.profile_get("ph2_backbones"):
            spec = backbone(name)
            for layer in self.get("ph2.layers"):
                spec.layer(layer)
        for task in self.get("ph2.tasks"):
            check_name("task", task, TASKS)
        for protocol in self.get("ph2.protocols"):
            check_name("protocol", protocol, PROTOCOLS)
        check_name("classifier", self.get("ph2.classifier"), CLASSIFIERS)
        backbone(self.profile_get("anomaly_backbone")).layer(self.get("anomaly.layer"))
        for scene in self.get("anomaly.scenes"):
            check_scene(scene)
        for name in (self.get("extract.weights") or {}):
            check_name("backbone in extract.weights", name, BACKBONES)
