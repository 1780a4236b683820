"""The target's effective pip and uv index configuration, read the way the tools resolve it: files and
environment only (the doctor never imports pip).

pip (pip/_internal/configuration.py): files in the order global (site_config_dirs: /etc/xdg/pip/pip.conf,
/etc/pip.conf; C:\\ProgramData\\pip\\pip.ini; /Library/Application Support/pip/pip.conf), user
(~/.pip/pip.conf or %HOME%\\pip\\pip.ini, then ~/.config/pip/pip.conf / %APPDATA%\\pip\\pip.ini /
~/Library/Application Support/pip/pip.conf), site (<prefix>/pip.conf or pip.ini), PIP_CONFIG_FILE; each
later one overrides a key; the user files are skipped when PIP_CONFIG_FILE names a file, and every file
when it is os.devnull. Sections [global] then [install]. PIP_<KEY> variables win over every file.
uv: UV_CONFIG_FILE, else ~/.config/uv/uv.toml (%APPDATA%\\uv\\uv.toml) and /etc/uv/uv.toml
(the project's own pyproject.toml/uv.toml is not read: it depends on the directory uv runs in);
UV_DEFAULT_INDEX, UV_INDEX_URL, UV_INDEX, UV_EXTRA_INDEX_URL, UV_FIND_LINKS, UV_CONSTRAINT.
"""

from __future__ import annotations

import os
import re
from typing import Iterable, Mapping

from torchdoctor.facts import IndexConfig, IndexSetting
from torchdoctor.privacy import mask_url_credentials, tilde

KEYS = ("index-url", "extra-index-url", "find-links", "constraint", "no-index")
_MAX_FILE = 256 * 1024  # a config or constraints file larger than this is not read
_TORCH_LINE = re.compile(r"^\s*torch\s*(?:\[[^\]]*\])?\s*(===?|~=|<=?|>=?|!=)\s*([^\s;#]+)", re.I | re.M)


def pip_config_files(os_name: str, prefix: str | None, env: Mapping[str, str], home: str) -> list[tuple[str, str]]:
    """(kind, path) in pip's override order, lowest first; the ones pip would skip already left out."""
    name = "pip.ini" if os_name == "windows" else "pip.conf"
    config_file = env.get("PIP_CONFIG_FILE")
    if config_file is not None and config_file == os.devnull:
        return []
    if os_name == "windows":
        program_data = env.get("PROGRAMDATA", "C:\\ProgramData")
        globals_ = [os.path.join(program_data, "pip", name)]
        appdata = env.get("APPDATA", os.path.join(home, "AppData", "Roaming"))
        users = [os.path.join(home, "pip", name), os.path.join(appdata, "pip", name)]
    elif os_name == "macos":
        globals_ = [os.path.join("/Library/Application Support/pip", name)]
        users = [os.path.join(home, ".pip", name), os.path.join(home, ".config", "pip", name),
                 os.path.join(home, "Library", "Application Support", "pip", name)]
    else:
        xdg_dirs = [d for d in env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":") if d] or ["/etc/xdg"]
        globals_ = [os.path.join(d, "pip", name) for d in xdg_dirs] + ["/etc/" + name]
        xdg_home = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        users = [os.path.join(home, ".pip", name), os.path.join(xdg_home, "pip", name)]
    out = [("global", p) for p in globals_]
    if not (config_file and os.path.exists(config_file)):
        out += [("user", p) for p in users]
    if prefix:
        out.append(("site", os.path.join(prefix, name)))
    if config_file:
        out.append(("file", config_file))
    return out


def _read_text(path: str) -> str | None:
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > _MAX_FILE:
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _show(value: str, home: str) -> str:
    return mask_url_credentials(tilde(value.strip(), home or None))


def _torch_pin(paths: Iterable[str]) -> str | None:
    for path in paths:
        text = _read_text(os.path.expanduser(path))
        m = _TORCH_LINE.search(text or "")
        if m:
            return f"torch{m.group(1)}{m.group(2)}"
    return None


def _split(value: str) -> list[str]:
    return [v for v in re.split(r"\s+", value.strip()) if v]


def read_index_config(os_name: str, prefix: str | None = None, env: Mapping[str, str] | None = None,
                      home: str | None = None) -> IndexConfig:
    """The effective pip and uv index settings for an interpreter under `prefix` (its site config)."""
    import configparser

    env = os.environ if env is None else env
    home = home if home is not None else os.path.expanduser("~")
    files, notes = [], []
    pip: dict[str, tuple[str, str, str]] = {}  # key -> (raw value, origin, kind): the last source wins
    for kind, path in pip_config_files(os_name, prefix, env, home):
        text = _read_text(path)
        if text is None:
            continue
        files.append(tilde(path, home or None))
        parser = configparser.RawConfigParser()
        try:
            parser.read_string(text)
        except configparser.Error as exc:
            notes.append(f"{tilde(path, home or None)}: not readable by pip's parser ({type(exc).__name__})")
            continue
        for section in ("global", "install"):
            if parser.has_section(section):
                for key in KEYS:
                    if parser.has_option(section, key):
                        pip[key] = (parser.get(section, key), f"{tilde(path, home or None)} [{section}]", kind)
    for key in KEYS:
        var = "PIP_" + key.upper().replace("-", "_")
        if env.get(var):
            pip[key] = (env[var], var, "env")
    settings: list[IndexSetting] = []
    for key, (raw, origin, kind) in pip.items():
        if key == "no-index":
            if raw.strip().lower() in ("1", "true", "yes", "on"):
                settings.append(IndexSetting("pip", key, "true", origin, kind))
            continue
        values = _split(raw) if key != "index-url" else [raw.strip()]
        for v in values:
            pin = _torch_pin([v]) if key == "constraint" else None
            settings.append(IndexSetting("pip", key, _show(v, home), origin, kind, pin))
    settings += _uv_settings(os_name, env, home, files, notes)
    return IndexConfig(tuple(settings), tuple(files), tuple(notes))


_UV_ENV = (("UV_DEFAULT_INDEX", "default-index"), ("UV_INDEX_URL", "index-url"), ("UV_INDEX", "extra-index-url"),
           ("UV_EXTRA_INDEX_URL", "extra-index-url"), ("UV_FIND_LINKS", "find-links"), ("UV_CONSTRAINT", "constraint"))


def _uv_settings(os_name: str, env: Mapping[str, str], home: str, files: list[str],
                 notes: list[str]) -> list[IndexSetting]:
    out: list[IndexSetting] = []
    if env.get("UV_NO_CONFIG"):
        paths: list[tuple[str, str]] = []
    elif env.get("UV_CONFIG_FILE"):
        paths = [("file", env["UV_CONFIG_FILE"])]
    elif os_name == "windows":
        paths = [("user", os.path.join(env.get("APPDATA", os.path.join(home, "AppData", "Roaming")), "uv", "uv.toml"))]
    else:
        xdg_home = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        paths = [("global", "/etc/uv/uv.toml"), ("user", os.path.join(xdg_home, "uv", "uv.toml"))]
    for kind, path in paths:
        text = _read_text(path)
        if text is None:
            continue
        shown = tilde(path, home or None)
        files.append(shown)
        try:
            import tomllib
        except ImportError:  # Python < 3.11: say so rather than guess
            notes.append(f"{shown}: not read (tomllib needs Python 3.11)")
            continue
        try:
            data = tomllib.loads(text)
        except ValueError as exc:
            notes.append(f"{shown}: not valid TOML ({type(exc).__name__})")
            continue
        for table, where in ((data, shown), (data.get("pip") or {}, f"{shown} [pip]")):
            if not isinstance(table, dict):
                continue
            for key in ("index-url", "extra-index-url", "find-links", "constraint-dependencies"):
                value = table.get(key)
                for v in ([value] if isinstance(value, str) else value if isinstance(value, list) else []):
                    if isinstance(v, str):
                        name = "constraint" if key == "constraint-dependencies" else key
                        pin = v.strip() if name == "constraint" and v.strip().lower().startswith("torch") else None
                        if name == "constraint" and pin is None:
                            continue
                        out.append(IndexSetting("uv", name, _show(v, home), where, kind, pin))
            for index in table.get("index") or [] if isinstance(table.get("index"), list) else []:
                if isinstance(index, dict) and isinstance(index.get("url"), str):
                    key = "default-index" if index.get("default") else "extra-index-url"
                    out.append(IndexSetting("uv", key, _show(index["url"], home), f"{where} [[index]]", kind))
    for var, key in _UV_ENV:
        if env.get(var):
            for v in _split(env[var]):
                if var == "UV_INDEX" and "=" in v.split("://", 1)[0]:
                    v = v.split("=", 1)[1]  # UV_INDEX="pytorch=https://..." names its index
                pin = _torch_pin([v]) if key == "constraint" else None
                out.append(IndexSetting("uv", key, _show(v, home), var, "env", pin))
    return out


def target_prefix(executable: str | None) -> str:
    """The environment folder pip calls sys.prefix: .../env/bin/python -> .../env (Windows: env/Scripts or env);
    the doctor's own when no other interpreter is named. A base interpreter outside a venv gives its
    install folder, which is where pip looks for its site pip.conf too."""
    import sys

    if not executable:
        return sys.prefix
    path = os.path.abspath(os.path.expanduser(executable))
    if os.path.isdir(path):
        return path
    parent = os.path.dirname(path)
    return os.path.dirname(parent) if os.path.basename(parent) in ("bin", "Scripts") else parent
