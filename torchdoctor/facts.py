"""The snapshot: what the probes found, frozen, typed, and round-tripping through JSON.

Every section is optional at the top level: `None` means "not gathered" (suggest
does not look at installed packages; a collect_env report has no PCI scan), and the
judges report checks whose facts are missing as skipped, never guess.

Conventions:
- versions are kept as the exact strings the system reports ("580.159.04",
  "2.13.0+cpu"); compare them with `torchdoctor.versions`, never as strings.
- compute capability is a tuple of ints: (8, 6).
- paths under the home directory are stored with "~" (privacy).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from torchdoctor.serial import from_dict, to_dict

SCHEMA = 1


@dataclass(frozen=True)
class ProbeNote:
    """How one probe went: for `-v` and for honesty when something could not be read."""

    name: str  # "nvml", "nvidia-smi", "pci", "torch-runtime", ...
    ok: bool
    seconds: float = 0.0
    detail: str = ""  # "nvidia-smi timed out after 5.0 s", "NVML: libnvidia-ml.so.1 not found"


@dataclass(frozen=True)
class PlatformFacts:
    os: str  # "linux" | "windows" | "macos" | anything else as platform.system().lower()
    arch: str  # "x86_64" | "aarch64" | "arm64" (macOS) | "x86" | other, normalised
    os_version: str | None = None  # distro "Ubuntu 24.04.3 LTS", "Windows 11 (10.0.22631)", "macOS 14.5"
    kernel: str | None = None
    libc: str | None = None  # "glibc" | "musl" | None (not Linux / unknown)
    libc_version: str | None = None  # "2.39"
    wsl: bool = False
    container: str | None = None  # "docker" | "podman" | "kubernetes" | "lxc" | "container" | None
    rosetta: bool = False  # an x86_64 Python translated by Rosetta on Apple Silicon
    machine_arch: str | None = None  # the hardware's arch when it differs from the Python's (Rosetta)
    jetson: str | None = None  # NVIDIA Jetson's L4T release ("35.3.1", /etc/nv_tegra_release); None elsewhere


@dataclass(frozen=True)
class PythonFacts:
    version: str  # "3.11.7"
    implementation: str = "cpython"  # sys.implementation.name
    bits: int = 64
    free_threaded: bool = False
    executable: str | None = None  # "~"-relative where under home
    env_kind: str | None = None  # "venv" | "conda" | "system" | None (unknown)
    tools: tuple[str, ...] = ()  # installers on PATH: "pip", "uv", "conda", "mamba"
    include: str | None = None  # sysconfig.get_paths()["include"]: where Python.h must be ("~"-relative)


@dataclass(frozen=True)
class Gpu:
    vendor: str  # "nvidia" | "amd" | "intel" | "apple"
    name: str | None = None  # "NVIDIA H200", "AMD Radeon RX 7900 XTX", "Intel Arc A770"
    capability: tuple[int, int] | None = None  # NVIDIA compute capability
    gfx: str | None = None  # AMD target, "gfx1100"
    kind: str | None = None  # Intel: "arc" | "integrated-arc" | "integrated" | "datacenter" | "discrete"; others None
    memory_mib: int | None = None
    pci_bus_id: str | None = None  # "0000:00:06.0"
    pci_id: str | None = None  # "10de:2335" vendor:device
    source: str = ""  # "nvml" | "nvidia-smi" | "pci" | "kfd" | "rocminfo" | "sysctl" | "user"


@dataclass(frozen=True)
class NvidiaFacts:
    driver: str | None = None  # "580.159.04"; None: no driver answered
    cuda_driver: str | None = None  # the highest CUDA the driver supports, "13.0"
    source: str | None = None  # where `driver` came from: "nvml" | "sysfs" | "procfs" | "nvidia-smi" | "user"
    kernel_module: str | None = None  # /sys/module/nvidia/version, when it differs or NVML failed
    open_kernel_module: bool | None = None
    errors: tuple[str, ...] = ()  # each probe failure, one line, e.g. "NVML: Driver/library version mismatch"


@dataclass(frozen=True)
class PciDevice:
    address: str  # "0000:00:06.0"
    vendor_id: str  # "10de"
    device_id: str  # "2335"
    class_code: str  # "0x030200"
    driver: str | None = None  # the kernel driver bound to it: "nvidia", "nouveau", "amdgpu", None


@dataclass(frozen=True)
class Distribution:
    """An installed distribution, read from its metadata without importing it."""

    name: str  # normalised: "torch", "torchvision", "nvidia-cudnn-cu12"
    version: str  # "2.13.0+cpu"
    location: str | None = None  # site-packages dir, "~"-relative
    installer: str | None = None  # INSTALLER file: "pip" | "uv" | "conda" | None
    wheel_tags: tuple[str, ...] = ()  # from WHEEL: "cp311-cp311-manylinux_2_28_x86_64"
    requires: tuple[str, ...] = ()  # Requires-Dist lines (torch pins of torchvision, nvidia deps)
    build: str | None = None  # conda build string, "py3.10_cuda11.8_cudnn8_0" (carries the cpu/cuda variant)
    requested: bool | None = None  # REQUESTED present (the user named it); False: another package pulled it in


@dataclass(frozen=True)
class RuntimeDevice:
    index: int
    name: str | None = None
    capability: tuple[int, int] | None = None
    memory_mib: int | None = None
    gfx: str | None = None  # ROCm gcnArchName


@dataclass(frozen=True)
class TorchRuntime:
    """What `import torch` said in a child interpreter."""

    status: str  # "ok" | "import_failed" | "crashed" | "timeout" | "not_installed" | "not_run"
    seconds: float | None = None
    error: str | None = None  # the exact last error line, or the signal
    error_type: str | None = None  # "ImportError", "OSError", ...
    error_kind: str | None = None  # classified: "missing_library" | "undefined_symbol" | "dll_load" | ...
    traceback_tail: str | None = None
    version: str | None = None  # torch.__version__
    file: str | None = None  # torch.__file__, "~"-relative
    cuda: str | None = None  # torch.version.cuda
    hip: str | None = None  # torch.version.hip
    cuda_available: bool | None = None
    device_count: int | None = None
    devices: tuple[RuntimeDevice, ...] = ()
    arch_list: tuple[str, ...] = ()  # torch.cuda.get_arch_list()
    cudnn: int | None = None
    nccl: str | None = None
    mps_built: bool | None = None
    mps_available: bool | None = None
    xpu_available: bool | None = None
    numpy: str | None = None  # numpy version seen by torch's interpreter, None if absent
    cuda_init_error: str | None = None  # the exception from CUDA init, if any
    warnings: tuple[str, ...] = ()  # warnings printed during import and CUDA init


@dataclass(frozen=True)
class CompanionImport:
    """One compiled companion imported in its own short child (check's import pass)."""

    name: str  # the distribution, "xformers"
    module: str  # what was imported, "xformers.ops"
    status: str  # "ok" | "import_failed" | "crashed" | "timeout" | "not_run"
    seconds: float | None = None
    error: str | None = None  # the exception's text, or the signal / timeout
    error_type: str | None = None
    kind: str | None = None  # classified (knowledge.import_errors.companion_kind): "abi" | "built_for" | "cpu_only" | ...
    built_for: str | None = None  # what the binary says it was built for ("PyTorch 2.1.2+cu121 with CUDA 1201")
    warnings: tuple[str, ...] = ()  # what it printed while importing (xFormers' "can't load C++/CUDA extensions")


@dataclass(frozen=True)
class ToolchainFacts:
    """The build toolchain around the target interpreter, found from PATH, environment and files only
    (probes/toolchain.py; nothing is compiled). Paths are "~"-relative."""

    cxx: str | None = None  # the C++ compiler torch.compile would call: $CXX, else g++ (clang++ on macOS), cl on Windows
    cxx_from: str | None = None  # "CXX" | "PATH"
    other_cxx: tuple[str, ...] = ()  # compilers on PATH torch does not pick by itself (clang++, c++ on Linux)
    cc_env_broken: tuple[str, ...] = ()  # "CXX=/nonexistent": CC/CXX set to something that is not an executable
    msvc_off_path: str | None = None  # Windows: a Visual Studio Build Tools cl.exe that is not on PATH
    python_h: bool | None = None  # Python.h in the target's include dir; None: the dir is not known
    python_libs: bool | None = None  # Windows: the interpreter's libs folder (an embedded Python lacks it)
    ninja: str | None = None  # ninja on PATH (torch.utils.cpp_extension runs `ninja --version`)
    cuda_home: str | None = None  # found the way torch.utils.cpp_extension finds it
    cuda_home_from: str | None = None  # "CUDA_HOME" | "CUDA_PATH" | "nvcc" | "default"
    nvcc: str | None = None  # $CUDA_HOME/bin/nvcc when it exists
    nvcc_version: str | None = None  # "12.4" from `nvcc --version` ("release 12.4")
    nvcc_error: str | None = None  # why nvcc gave no version
    gcc_max: int | None = None  # from $CUDA_HOME/include/crt/host_config.h: "gcc versions later than N"
    gcc: str | None = None  # the host compiler nvcc would use (CC/CXX, else gcc)
    gcc_version: str | None = None  # "13.3.0" (`gcc -dumpfullversion`)
    disabled_by: tuple[str, ...] = ()  # "TORCHDYNAMO_DISABLE=1", "TORCH_COMPILE_DISABLE=1"
    build_wanted: str | None = None  # why build.* judge: "asked" | "toolkit" | "source"; None: they stay quiet
    shm_mib: int | None = None  # size of /dev/shm (Linux)


@dataclass(frozen=True)
class IndexSetting:
    """One pip or uv setting that decides where `pip install torch` looks, as the tool resolves it."""

    tool: str  # "pip" | "uv"
    key: str  # "index-url" | "extra-index-url" | "find-links" | "constraint" | "no-index" | "default-index"
    value: str  # credentials masked (***@), home as ~
    origin: str  # "PIP_EXTRA_INDEX_URL" | "~/.config/pip/pip.conf [global]" | ...
    kind: str  # where it came from: "env" (a variable) | "user" | "global" | "site" | "file" (PIP_CONFIG_FILE / UV_CONFIG_FILE)
    torch_pin: str | None = None  # a constraint file's torch line ("torch==2.3.1")


@dataclass(frozen=True)
class IndexConfig:
    """The effective pip and uv index configuration of the target (files read + environment)."""

    settings: tuple[IndexSetting, ...] = ()
    files: tuple[str, ...] = ()  # the configuration files that were read
    notes: tuple[str, ...] = ()  # what could not be read


@dataclass(frozen=True)
class Facts:
    schema: int = SCHEMA
    origin: str = "live"  # "live" | "json:<file>" | "collect_env:<file>" | "described"
    platform: PlatformFacts | None = None
    python: PythonFacts | None = None
    nvidia: NvidiaFacts | None = None
    gpus: tuple[Gpu, ...] | None = None  # None: not scanned; () scanned, none found
    pci: tuple[PciDevice, ...] | None = None  # display-class devices; None: not scanned
    distributions: tuple[Distribution, ...] | None = None
    runtime: TorchRuntime | None = None
    shadowing: tuple[str, ...] | None = None  # torch.py / torch/ found before site-packages
    env: dict[str, str] | None = None  # allow-listed variables only (CUDA_VISIBLE_DEVICES, ...)
    device_nodes: tuple[str, ...] | None = None  # /dev/nvidia0, /dev/kfd, /dev/dri/*, /dev/dxg; None: not looked
    toolchain: ToolchainFacts | None = None  # compilers, Python.h, CUDA toolkit, ninja; None: not looked
    probes: tuple[ProbeNote, ...] = ()
    companion_imports: tuple[CompanionImport, ...] | None = None  # None: no import pass ran
    extra: dict[str, Any] = field(default_factory=dict)  # source-specific notes (e.g. parser warnings)
    index_config: IndexConfig | None = None  # pip/uv index settings (live only); None: not read

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Facts":
        return from_dict(cls, data)

    def with_(self, **changes: Any) -> "Facts":
        return replace(self, **changes)
