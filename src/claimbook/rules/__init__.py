"""The rule catalogue: every check ClaimBook makes, with a stable id.

Rules are declared in the submodules of this package (one per area) with `define(...)` and
collected into `CATALOGUE`. A rule id never changes meaning once shipped; `claimbook rules`
prints the catalogue and `docs/rules.md` is generated from it.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Literal

from pydantic import BaseModel

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class Rule(BaseModel, frozen=True):
    id: str
    severity: Severity
    area: str
    title: str
    why: str
    fix: str


CATALOGUE: dict[str, Rule] = {}


def define(id: str, severity: Severity, area: str, title: str, why: str, fix: str) -> str:
    """Register a rule and return its id (so modules can write `X = define(...)`)."""
    if id in CATALOGUE and CATALOGUE[id].title != title:
        raise ValueError(f"rule id {id} defined twice")
    CATALOGUE[id] = Rule(id=id, severity=severity, area=area, title=title, why=why, fix=fix)
    return id


_loaded = False


def load_all() -> dict[str, Rule]:
    """Import every rule module of this package once and return the catalogue."""
    global _loaded
    if not _loaded:
        for mod in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{mod.name}")
        _loaded = True
    return CATALOGUE


def get(rule_id: str) -> Rule:
    load_all()
    return CATALOGUE[rule_id]


def catalogue_markdown() -> str:
    """The catalogue as Markdown (docs/rules.md)."""
    rules = sorted(load_all().values(), key=lambda r: (r.area, r.id))
    out = ["# Rule catalogue", "",
           "Every finding ClaimBook reports carries one of these rule ids. Severity: **error** "
           "blocks the claim, **warning** needs a look, **info** is for your records. A clinic "
           "can switch a rule off or change its severity in the `RuleSettings` sheet.", ""]
    area = None
    for r in rules:
        if r.area != area:
            area = r.area
            out += [f"## {area}", ""]
        out += [f"### {r.id} ({r.severity}): {r.title}", "", f"- Why: {r.why}",
                f"- Fix: {r.fix}", ""]
    return "\n".join(out)
