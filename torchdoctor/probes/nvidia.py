"""The NVIDIA driver and GPUs, from the best source that answers.

Order: NVML (nvidia-ml-py, in-process, ~70 ms on a real H200), then the kernel module's
own files on Linux (/sys/module/nvidia/version, /proc/driver/nvidia/...), then
`nvidia-smi --query-gpu` (also the WSL and Windows install locations), and the plain
`nvidia-smi` header only for the CUDA version (the one thing --query-gpu cannot give).
Every failure is kept as one line in NvidiaFacts.errors: "NVML: Driver/library version
mismatch" is a diagnosis, not noise. The parsers are pure and tested on real output.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

from torchdoctor import runner
from torchdoctor.facts import Gpu, NvidiaFacts, ProbeNote
from torchdoctor.probes._util import read_text, under
from torchdoctor.privacy import home_to_tilde, mask_ids

Run = Callable[..., runner.RunResult]

QUERY_FIELDS = ("name", "driver_version", "compute_cap", "memory.total", "pci.bus_id")
# Drivers before ~510 reject compute_cap ('Field "compute_cap" is not a valid field to query.').
QUERY_FIELDS_OLD = ("name", "driver_version", "memory.total", "pci.bus_id")

WSL_SMI = "/usr/lib/wsl/lib/nvidia-smi"
WINDOWS_SMI = (
    r"C:\Windows\System32\nvidia-smi.exe",
    r"C:\Program Files\NVIDIA Corporation\NVSMI\nvidia-smi.exe",
)

_VERSION = re.compile(r"\b(\d+\.\d+(?:\.\d+)*)\b")


# ---------------------------------------------------------------- pure parsers


# Internal readings are NamedTuples, not dataclasses: six times cheaper to define, and this
# module's import time is on the path of `torchdoctor suggest` (0.3 s budget, all included).
class SmiGpu(NamedTuple):
    name: str | None = None
    driver: str | None = None
    capability: tuple[int, int] | None = None
    memory_mib: int | None = None
    bus_id: str | None = None


def cuda_version_from_int(value: int | None) -> str | None:
    """NVML/CUDA's integer form: 13000 -> "13.0", 12020 -> "12.2"."""
    if not isinstance(value, int) or value <= 0:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


def normalise_bus_id(text: str | None) -> str | None:
    """NVML and nvidia-smi say "00000000:00:06.0", sysfs "0000:00:06.0": use the sysfs form."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(?:([0-9a-fA-F]+):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])\s*", text)
    if not m:
        return None
    domain = int(m.group(1) or "0", 16)
    return f"{domain:04x}:{int(m.group(2), 16):02x}:{int(m.group(3), 16):02x}.{m.group(4)}"


def parse_capability(text: str | None) -> tuple[int, int] | None:
    m = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def parse_mib(text: str | None) -> int | None:
    m = re.fullmatch(r"\s*(\d+)(?:\s*MiB)?\s*", text or "")
    return int(m.group(1)) if m else None


def parse_module_version(text: str | None) -> str | None:
    """/sys/module/nvidia/version: just "580.159.04"."""
    m = _VERSION.search(text or "")
    return m.group(1) if m else None


def parse_proc_version(text: str | None) -> tuple[str | None, bool | None]:
    """/proc/driver/nvidia/version -> (driver, open kernel module?).

    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build ..."
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023"
    """
    for line in (text or "").splitlines():
        if not line.startswith("NVRM version:"):
            continue
        m = re.search(r"Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)*)", line)
        return (m.group(1) if m else None), ("Open Kernel" in line)
    return None, None


def is_driver_version(version: str | None) -> bool:
    """Desktop/datacenter driver versions have a 3-digit major (384.98, 580.159.04). Jetson's
    /proc/driver/nvidia/version says "35.3.1": an L4T release, not a driver version."""
    m = re.match(r"(\d+)\.", version or "")
    return bool(m) and int(m.group(1)) >= 100


def parse_gpu_information(text: str | None) -> tuple[str | None, str | None]:
    """/proc/driver/nvidia/gpus/<bus>/information -> (model, bus location)."""
    fields: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return fields.get("model") or None, normalise_bus_id(fields.get("bus location"))


def parse_smi_header(text: str | None) -> tuple[str | None, str | None]:
    """(driver, CUDA version) from the banner of plain `nvidia-smi`.

    Before driver 610: "Driver Version: 580.159.04     CUDA Version: 13.0";
    from 610: "KMD Version: 610.43.02     CUDA UMD Version: 13.3". `nvidia-smi -q` works too.
    """
    text = text or ""
    driver = re.search(r"(?:Driver|KMD) Version\s*:\s*(\d+\.\d+(?:\.\d+)*)", text)
    cuda = re.search(r"CUDA (?:UMD )?Version\s*:\s*(\d+\.\d+)", text)
    return (driver.group(1) if driver else None), (cuda.group(1) if cuda else None)


# No machine has more GPUs than this in one OS; more rows are noise, and judging them costs time.
MAX_GPUS = 256


def parse_smi_query(text: str | None, fields: Sequence[str] = QUERY_FIELDS) -> tuple[SmiGpu, ...]:
    """`nvidia-smi --query-gpu=<fields> --format=csv[,noheader]` -> one SmiGpu per line.

    A header line, when present, names the columns (so any field order works); rows that
    do not have the right number of cells are skipped, never guessed.
    """
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    columns = [f.lower() for f in fields]
    if lines and _looks_like_header(lines[0]):
        columns = [re.sub(r"\s*\[.*?\]\s*$", "", c.strip()).lower() for c in lines[0].split(",")]
        lines = lines[1:]
    gpus = []
    for line in lines:
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(columns):
            continue
        row = dict(zip(columns, cells))
        gpu = SmiGpu(
            name=_value(row.get("name")),
            driver=_driver(row.get("driver_version")),
            capability=parse_capability(row.get("compute_cap")),
            memory_mib=parse_mib(row.get("memory.total")),
            bus_id=normalise_bus_id(row.get("pci.bus_id")),
        )
        if gpu.name or gpu.driver or gpu.bus_id:
            gpus.append(gpu)
            if len(gpus) >= MAX_GPUS:
                break
    return tuple(gpus)


def _looks_like_header(line: str) -> bool:
    cells = [c.strip().lower() for c in line.split(",")]
    return "name" in cells or any(c.startswith(("driver_version", "pci.bus_id", "memory.total")) for c in cells)


def _value(cell: str | None) -> str | None:
    if cell is None or cell in ("", "[N/A]", "N/A", "[Not Supported]"):
        return None
    return cell


def _driver(cell: str | None) -> str | None:
    cell = _value(cell)
    return cell if cell and re.fullmatch(r"\d+\.\d+(?:\.\d+)*", cell) else None


def smi_failure(result: runner.RunResult) -> str:
    """One line for a failed nvidia-smi run, keeping NVML's own words when it printed them."""
    if result.returncode is None or result.returncode == 0:
        return result.describe_failure()
    lines = [ln.strip() for ln in (result.stdout + "\n" + result.stderr).splitlines() if ln.strip()]
    if not lines:
        return result.describe_failure()
    text = lines[0]
    if len(lines) > 1 and lines[1].startswith("NVML library version"):
        text += f" ({lines[1]})"  # the mismatch case: which user-space library answered
    return f"nvidia-smi exited with status {result.returncode}: {_private(text[:300])}"


def _private(text: str) -> str:
    """nvidia-smi's own words, kept as facts, without the GPU UUIDs, serials or host name in them."""
    import socket

    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    # Only a name that cannot be an ordinary word ("node-7", "gpu01"): a host called "gpu" would mask "GPU".
    names = [h for h in (host, host.split(".")[0]) if any(c.isdigit() or c in "-." for c in h)]
    return mask_ids(text, names)


# ---------------------------------------------------------------- sources


class NvmlReading(NamedTuple):
    driver: str | None = None
    cuda_driver: str | None = None
    gpus: tuple[Gpu, ...] = ()
    errors: tuple[str, ...] = ()
    ok: bool = False


def read_nvml(nvml: Any = None) -> NvmlReading:
    """Ask NVML. `nvml` is the pynvml module (imported here, lazily: it costs ~20 ms)."""
    if nvml is None:
        try:
            import pynvml as nvml  # type: ignore[import-not-found,no-redef]
        except Exception as exc:  # ImportError, or a broken install
            return NvmlReading(errors=(f"NVML: nvidia-ml-py cannot be imported ({exc})",))
    try:
        nvml.nvmlInit()
    except Exception as exc:
        return NvmlReading(errors=(f"NVML: {_text(exc) or type(exc).__name__}",))
    errors: list[str] = []
    try:
        driver = _call(nvml.nvmlSystemGetDriverVersion, errors, "driver version")
        cuda_int = _call(nvml.nvmlSystemGetCudaDriverVersion, errors, "CUDA driver version")
        count = _call(nvml.nvmlDeviceGetCount, errors, "device count") or 0
        gpus = tuple(_nvml_gpu(nvml, i, errors) for i in range(min(int(count), MAX_GPUS)))
    finally:
        try:
            nvml.nvmlShutdown()
        except Exception:
            pass
    return NvmlReading(
        driver=_text(driver) or None,
        cuda_driver=cuda_version_from_int(cuda_int),
        gpus=gpus,
        errors=tuple(errors),
        ok=bool(driver),
    )


def _nvml_gpu(nvml: Any, index: int, errors: list[str]) -> Gpu:
    what = f"GPU {index}"
    handle = _call(lambda: nvml.nvmlDeviceGetHandleByIndex(index), errors, what)
    if handle is None:
        return Gpu(vendor="nvidia", source="nvml")
    name = _call(lambda: nvml.nvmlDeviceGetName(handle), errors, f"{what} name")
    cc = _call(lambda: nvml.nvmlDeviceGetCudaComputeCapability(handle), errors, f"{what} compute capability")
    mem = _call(lambda: nvml.nvmlDeviceGetMemoryInfo(handle), errors, f"{what} memory")
    pci = _call(lambda: nvml.nvmlDeviceGetPciInfo(handle), errors, f"{what} PCI info")
    pci_id = None
    device_id = getattr(pci, "pciDeviceId", None)
    if isinstance(device_id, int) and device_id:
        pci_id = f"{device_id & 0xFFFF:04x}:{device_id >> 16:04x}"  # 0x233510de: device 2335, vendor 10de
    total = getattr(mem, "total", None)
    return Gpu(
        vendor="nvidia",
        name=_text(name) or None,
        capability=(int(cc[0]), int(cc[1])) if cc and len(cc) == 2 else None,
        memory_mib=int(total) // (1024 * 1024) if isinstance(total, int) else None,
        pci_bus_id=normalise_bus_id(_text(getattr(pci, "busId", None))),
        pci_id=pci_id,
        source="nvml",
    )


def _call(fn: Callable[[], Any], errors: list[str], what: str) -> Any:
    try:
        return fn()
    except Exception as exc:
        errors.append(f"NVML: {what}: {_text(exc) or type(exc).__name__}")
        return None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip()
    return str(value).strip() if value is not None else ""


class KernelReading(NamedTuple):
    loaded: bool = False  # any trace of the kernel driver: module, procfs or /dev/nvidiactl
    module_version: str | None = None
    proc_version: str | None = None
    open_module: bool | None = None
    gpus: tuple[Gpu, ...] = ()


def read_kernel_files(root: Path = Path("/")) -> KernelReading:
    """The Linux kernel module's own files: no library, no subprocess, cannot hang on the GPU."""
    module_dir = under(root, "/sys/module/nvidia")
    proc_dir = under(root, "/proc/driver/nvidia")
    module_version = parse_module_version(read_text(module_dir / "version", 4096))
    proc_version, open_module = parse_proc_version(read_text(proc_dir / "version", 4096))
    gpus = []
    try:
        entries = sorted((proc_dir / "gpus").iterdir())
    except OSError:
        entries = []
    for entry in entries:
        model, bus = parse_gpu_information(read_text(entry / "information", 8192))
        gpus.append(Gpu(vendor="nvidia", name=model, pci_bus_id=bus or normalise_bus_id(entry.name), source="procfs"))
    loaded = module_dir.exists() or proc_dir.exists() or under(root, "/dev/nvidiactl").exists()
    return KernelReading(loaded, module_version, proc_version, open_module, tuple(gpus))


def jetson_gpu(root: Path = Path("/")) -> Gpu:
    """Jetson's GPU is part of the SoC (not on PCI, no NVML before JetPack 6): name it after the board."""
    model = (read_text(under(root, "/proc/device-tree/model"), 4096) or "").replace("\0", "").strip()
    return Gpu(vendor="nvidia", name=model or None, kind="integrated", source="tegra")


def smi_candidates(os_name: str, wsl: bool, which: Callable[[str], "str | None"] = shutil.which,
                   exists: Callable[[str], bool] = lambda p: Path(p).is_file()) -> tuple[str, ...]:
    """nvidia-smi executables that exist here; absent ones cost nothing (no process started)."""
    found: list[str] = []
    on_path = which("nvidia-smi")
    if on_path:
        found.append(on_path)
    extra: tuple[str, ...] = ()
    if os_name == "linux" and wsl:
        extra = (WSL_SMI,)  # often missing from PATH, e.g. under root or in a login shell
    elif os_name == "windows":
        extra = WINDOWS_SMI
    for path in extra:
        if path not in found and exists(path):
            found.append(path)
    return tuple(found)


class SmiReading(NamedTuple):
    gpus: tuple[SmiGpu, ...] = ()
    driver: str | None = None
    cuda_driver: str | None = None
    errors: tuple[str, ...] = ()
    seconds: float = 0.0


def read_smi(executable: str, run: Run, timeout: float, want_cuda: bool = True) -> SmiReading:
    """--query-gpu first (a stable, documented format); the banner only for the CUDA version."""
    start = time.monotonic()
    errors: list[str] = []
    gpus: tuple[SmiGpu, ...] = ()
    ok = False
    for fields in (QUERY_FIELDS, QUERY_FIELDS_OLD):
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            errors.append(f"nvidia-smi: no time left (deadline {timeout:.1f} s)")
            break
        result = run([executable, f"--query-gpu={','.join(fields)}", "--format=csv,noheader"], timeout=left)
        if result.ok:
            gpus = parse_smi_query(result.stdout, fields)
            ok = bool(gpus)
            if len(gpus) >= MAX_GPUS:
                errors.append(f"nvidia-smi: more than {MAX_GPUS} GPU rows; only the first {MAX_GPUS} were read")
            if not gpus and result.stdout.strip():
                errors.append(f"nvidia-smi: unreadable --query-gpu output: {_private(result.stdout.strip()[:120])!r}")
            break
        if "compute_cap" in (result.stdout + result.stderr) and fields is QUERY_FIELDS:
            continue  # an older driver: ask again without compute_cap
        errors.append(smi_failure(result))
        break
    driver = next((g.driver for g in gpus if g.driver), None)
    cuda = None
    left = timeout - (time.monotonic() - start)
    if ok and want_cuda and left > 0:
        banner = run([executable], timeout=left)
        if banner.ok:
            banner_driver, cuda = parse_smi_header(banner.stdout)
            driver = driver or banner_driver
            if cuda is None:
                errors.append("nvidia-smi: no CUDA version in its banner")
        else:
            errors.append(smi_failure(banner))
    return SmiReading(gpus, driver, cuda, tuple(errors), round(time.monotonic() - start, 4))


# ---------------------------------------------------------------- the probe


class NvidiaProbe(NamedTuple):
    facts: NvidiaFacts
    gpus: tuple[Gpu, ...]
    notes: list[ProbeNote]


def probe_nvidia(
    os_name: str,
    *,
    wsl: bool = False,
    root: Path = Path("/"),
    run: Run = runner.run,
    timeout: float = 5.0,
    nvml: Any = None,
    use_nvml: bool = True,
    which: Callable[[str], "str | None"] = shutil.which,
    exists: Callable[[str], bool] = lambda p: Path(p).is_file(),
) -> NvidiaProbe:
    """Never raises (the caller also guards it); `timeout` bounds the nvidia-smi runs."""
    start = time.monotonic()
    notes: list[ProbeNote] = []
    errors: list[str] = []

    kernel = KernelReading()
    if os_name == "linux" and not wsl:
        t = time.monotonic()
        kernel = read_kernel_files(root)
        detail = (f"module {kernel.module_version or kernel.proc_version}" if kernel.loaded
                  else "the nvidia kernel module is not loaded")
        notes.append(ProbeNote("nvidia-kernel", kernel.loaded, round(time.monotonic() - t, 4), detail))
        if not kernel.loaded:
            errors.append("kernel: the nvidia kernel module is not loaded (no /sys/module/nvidia)")

    nvml_reading = NvmlReading()
    if os_name == "macos":
        pass  # no NVIDIA driver for macOS since 10.13 (High Sierra)
    elif os_name == "linux" and not wsl and not kernel.loaded:
        # Without the kernel module NVML can only fail; skipping it saves ~20 ms of import.
        notes.append(ProbeNote("nvml", False, 0.0, "skipped: the nvidia kernel module is not loaded"))
    elif use_nvml:
        t = time.monotonic()
        nvml_reading = read_nvml(nvml)
        errors.extend(nvml_reading.errors)
        notes.append(ProbeNote("nvml", nvml_reading.ok, round(time.monotonic() - t, 4),
                               f"driver {nvml_reading.driver}" if nvml_reading.ok else "; ".join(nvml_reading.errors)))

    smi = SmiReading()
    if not (nvml_reading.ok and nvml_reading.cuda_driver and nvml_reading.gpus) and os_name != "macos":
        candidates = smi_candidates(os_name, wsl, which, exists)
        if not candidates:
            notes.append(ProbeNote("nvidia-smi", False, 0.0, "not found"))
            if not nvml_reading.ok and (kernel.loaded or os_name != "linux" or wsl):
                errors.append("nvidia-smi: not found")
        for exe in candidates:
            left = timeout - (time.monotonic() - start)
            smi = read_smi(exe, run, max(left, 0.1), want_cuda=not nvml_reading.cuda_driver)
            errors.extend(smi.errors)
            notes.append(ProbeNote("nvidia-smi", bool(smi.gpus), smi.seconds,
                                   f"{home_to_tilde(exe)}: {len(smi.gpus)} GPU(s)"
                                   + (f"; {'; '.join(smi.errors)}" if smi.errors else "")))
            if smi.gpus:
                break

    for value in dict.fromkeys(v for v in (kernel.module_version, kernel.proc_version) if v):
        if not is_driver_version(value):
            errors.append(f"kernel: the nvidia module reports {value}, not a driver version (a Jetson L4T release?)")
    # The driver, from the first source that knows it.
    driver, source = nvml_reading.driver, "nvml" if nvml_reading.driver else None
    for value, name in ((kernel.module_version, "sysfs"), (kernel.proc_version, "procfs"), (smi.driver, "nvidia-smi")):
        if driver is None and is_driver_version(value):
            driver, source = value, name

    if nvml_reading.gpus:
        gpus = nvml_reading.gpus
    elif smi.gpus:
        gpus = tuple(Gpu(vendor="nvidia", name=g.name, capability=g.capability, memory_mib=g.memory_mib,
                         pci_bus_id=g.bus_id, source="nvidia-smi") for g in smi.gpus)
    else:
        gpus = kernel.gpus

    facts = NvidiaFacts(
        driver=driver,
        cuda_driver=nvml_reading.cuda_driver or smi.cuda_driver,
        source=source,
        kernel_module=kernel.module_version or kernel.proc_version,
        open_kernel_module=kernel.open_module,
        errors=tuple(dict.fromkeys(errors)),
    )
    return NvidiaProbe(facts, gpus, notes)
