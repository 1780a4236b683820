"""`torchdoctor smoke`: one run per device."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torchdoctor.facts import SCHEMA
from torchdoctor.findings import Finding
from torchdoctor.report import Report


_DEVICE_KEYS = ("device", "ok", "status", "problems", "checks", "name", "w", "final_loss", "seconds",
                "converged_epoch", "timings", "warnings", "findings")


@dataclass(frozen=True)
class DeviceRun:
    """One device's smoke run: the verdict, the classic loop's short form, and the child's measurements."""

    device: str
    ok: bool
    status: str  # passed | failed | error | timeout | crashed
    problems: tuple[str, ...] = ()
    checks: dict[str, str] = field(default_factory=dict)  # stage -> passed | failed | error | missing
    name: str | None = None
    w: float | None = None
    final_loss: float | None = None
    seconds: float | None = None
    converged_epoch: int | None = None
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)  # classic, gradcheck, ... as the child gave
    timings: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DeviceRun":
        return cls(str(d.get("device")), bool(d.get("ok")), str(d.get("status")), tuple(d.get("problems") or ()),
                   dict(d.get("checks") or {}), d.get("name"), d.get("w"), d.get("final_loss"), d.get("seconds"),
                   d.get("converged_epoch"), {k: v for k, v in d.items() if k not in _DEVICE_KEYS},
                   dict(d.get("timings") or {}), tuple(d.get("warnings") or ()),
                   tuple(Finding.from_dict(f) for f in d.get("findings") or ()))

    def __getitem__(self, key: str) -> Any:
        """0.2's API gave each device as its JSON dict (`report.devices[0]["ok"]`): that still works."""
        return self.to_dict()[key]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"device": self.device, "ok": self.ok, "status": self.status,
                               "problems": list(self.problems), "checks": dict(self.checks), "name": self.name,
                               "w": self.w, "final_loss": self.final_loss, "seconds": self.seconds,
                               "converged_epoch": self.converged_epoch}
        out.update(self.stages)
        out["timings"] = dict(self.timings)
        out["warnings"] = list(self.warnings)
        out["findings"] = [f.to_dict() for f in self.findings]
        return out


@dataclass(frozen=True, repr=False)
class SmokeReport(Report):
    requested: str
    devices: tuple[DeviceRun, ...] = ()
    torch: dict[str, Any] | None = None  # torch_version, build, cuda, hip, python, executable
    unavailable: tuple[dict[str, str], ...] = ()  # {device, reason}
    error: str | None = None  # torch missing or broken, the requested device missing
    target: Any = None
    findings: tuple[Finding, ...] = ()  # every device's findings, then the run's own

    kind: ClassVar[str] = "smoke"
    title: ClassVar[str] = "torchdoctor smoke"

    @classmethod
    def from_dict(cls, data: dict[str, Any], target: Any = None) -> "SmokeReport":
        """The operation's collected run (the JSON document's shape) as a report."""
        return cls(str(data.get("requested")), tuple(DeviceRun.from_dict(d) for d in data.get("devices") or ()),
                   data.get("torch"), tuple(data.get("unavailable") or ()), data.get("error"), target,
                   tuple(Finding.from_dict(f) for f in data.get("findings") or ()))

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return 0 if self.passed else 1

    @property
    def passed(self) -> bool:
        return bool(self.devices) and all(d.ok for d in self.devices) and not self.error

    @property
    def data(self) -> dict[str, Any]:
        """The JSON document (kept for the API's users of 0.2: `report.data["devices"]`)."""
        return self.to_dict()

    def to_dict(self) -> dict[str, Any]:
        from torchdoctor.sanitize import strict_json

        out: dict[str, Any] = {"schema": SCHEMA, "ok": self.passed, "requested": self.requested, "torch": self.torch,
                               "devices": [d.to_dict() for d in self.devices],
                               "unavailable": [dict(u) for u in self.unavailable], "error": self.error}
        if self.target is not None:  # which interpreter and why: {executable, reason, source}
            out["target"] = self.target.to_dict()
        out["findings"] = [f.to_dict() for f in self.findings]
        return strict_json(out)  # NaN and infinity are not JSON: null (the problems say what happened)
