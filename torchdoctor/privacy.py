"""Privacy, written once: home paths as `~`, user folders of other machines as `~`, GPU/MIG UUIDs and
serial numbers masked. Every report, JSON document, paste excerpt and error line passes here.

Stdlib only, and plain Python 3.6 syntax: the scripts that run inside the user's interpreter
(torchdoctor/patient) load this file by path, with nothing but the standard library. All matching is
case-insensitive: Windows prints `C:\\Users\\…` and `c:\\users\\…` for the same folder.
"""

import os
import re

MASK = "<masked>"

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# GPU-<uuid>, MIG-<uuid>, MIG-GPU-<uuid>/1/2 (the old MIG form), and bare UUIDs.
_GPU_UUID = re.compile(r"\b(?:MIG-)?(?:GPU-)?" + _UUID + r"(?:/\d+/\d+)?\b", re.I)
_MIG_SHORT = re.compile(r"\bMIG-[0-9a-f-]{8,}(?:/\d+/\d+)?", re.I)
_GPU_SHORT = re.compile(r"\bGPU-[0-9a-f]{8}\b(?!-)", re.I)
# nvidia-smi -L's "(UUID: GPU-…)": the whole parenthesis goes, the name stays readable.
_UUID_PAREN = re.compile(r"\s*\(UUID:[^)]*\)", re.I)
# "Serial Number: 1652…", "serial=…", "Board Serial: …", "<serial>…</serial>", "UUID: …" as a field.
_SERIAL = re.compile(r"(\b(?:board\s+)?serial(?:[\s_-]*(?:number|no\.?))?\s*[:=]\s*)([^\s,;)]+)", re.I)
_UUID_FIELD = re.compile(r"(?m)^(\s*(?:gpu\s+)?uuid\s*[:=]\s*)(\S+)", re.I)
_XML_SERIAL = re.compile(r"(<(serial|uuid)>)([^<]+)(</(?:serial|uuid)>)", re.I)
# Another machine's user folder (a paste, a recorded report): the user name goes.
_USER_DIR = re.compile(r"(/home/|/Users/|[A-Za-z]:\\Users\\)(?!~)[^/\\\s\"':;,)\]]+", re.I)


def tilde(path, home=None):
    """A path under this machine's home directory as "~/…" (None and "" stay as they are)."""
    if not path:
        return path
    home = _home() if home is None else home.rstrip("/\\")
    if not home:
        return path
    low, h = path.lower(), home.lower()
    if low == h:
        return "~"
    for sep in ("/", "\\"):
        if low.startswith(h + sep):
            return "~" + sep + path[len(home) + 1:]
    return path


def home_to_tilde(text, home=None):
    """Every path under this machine's home directory inside a text (an error line, a traceback) as `~`."""
    if not text:
        return text
    home = _home() if home is None else home.rstrip("/\\")
    if not home:
        return text
    return re.sub(re.escape(home) + r"(?=[/\\]|$|[\s\"':;,)\]])", "~", text, flags=re.I)


def mask_ids(text, hostnames=()):
    """GPU/MIG UUIDs, serial numbers and the given host names masked."""
    if not text:
        return text
    text = _UUID_PAREN.sub("", text)
    text = _GPU_UUID.sub(MASK, text)
    text = _MIG_SHORT.sub(MASK, text)
    text = _GPU_SHORT.sub(MASK, text)
    text = _SERIAL.sub(lambda m: m.group(1) + MASK, text)
    text = _UUID_FIELD.sub(lambda m: m.group(1) + MASK, text)
    text = _XML_SERIAL.sub(lambda m: m.group(1) + MASK + m.group(4), text)
    for host in hostnames:
        host = (host or "").strip()
        if len(host) >= 3 and host.lower() not in ("localhost", "localhost.localdomain"):
            text = re.sub(r"(?<![\w.-])" + re.escape(host) + r"(?![\w-])", "<host>", text, flags=re.I)
    return text


def private(text, hostnames=()):
    """Everything above for text from this machine or another one: ids masked, this home as `~`,
    and any other user's folder (`/home/alice`, `C:\\Users\\Bob`) as `~`."""
    if not text:
        return text
    return _USER_DIR.sub("~", home_to_tilde(mask_ids(text, hostnames)))


# Environment values that can hold GPU/MIG UUIDs: masked in every output, JSON included.
DEVICE_LISTS = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES")


def private_facts(facts_dict):
    """A facts document (Facts.to_dict()) without device UUIDs or serials anywhere: reports get pasted into
    public issues."""
    out = private_tree(facts_dict)
    env = out.get("env")
    if isinstance(env, dict):
        out["env"] = {k: mask_ids(v) if k in DEVICE_LISTS and isinstance(v, str) else v for k, v in env.items()}
    return out


def private_tree(value):
    """A JSON-able value (dicts, lists, strings) with ids masked and this home as `~` in every string: a
    GPU name or an error text that carries a UUID or a serial is masked in JSON too."""
    if isinstance(value, str):
        return home_to_tilde(mask_ids(value))
    if isinstance(value, dict):
        return {k: private_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [private_tree(v) for v in value]
    return value


def _home():
    try:
        home = os.path.expanduser("~")
    except Exception:  # noqa: BLE001 - no HOME and no passwd entry
        return ""
    home = (home or "").rstrip("/\\")
    return "" if len(home) < 2 or home == "~" else home


_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")


def mask_url_credentials(text):
    """user:password@ (or a token@) in every URL of a text as ***@: index URLs carry them."""
    if not text:
        return text
    return _URL_CREDENTIALS.sub(r"\1***@", text)
