"""The pip/uv configuration probe (files + environment, as pip resolves them) and pip.index_overrides."""

from __future__ import annotations

import os

from helpers.check_machines import K, judge, machine
from helpers.plan_machines import machine as described, nv
from torchdoctor.plan.config import finding_for, holding_command, overrides
from torchdoctor.facts import Gpu, IndexConfig, NvidiaFacts, PlatformFacts
from torchdoctor.plan import PlanRequest, plan_install
from torchdoctor.probes.pip_config import pip_config_files, read_index_config, target_prefix
from torchdoctor.shell import argv_of

WIN_NV = described(os="windows", py="3.12", driver="580.88", gpus=(nv((8, 6)),))


def _read(tmp_path, env: dict[str, str], os_name="linux", prefix=None):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    base = {"XDG_CONFIG_DIRS": str(tmp_path / "etc-xdg"), "XDG_CONFIG_HOME": str(home / ".config")}
    return read_index_config(os_name, prefix, {**base, **env}, str(home))


def _conf(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _plan(facts=WIN_NV, **kw):
    return plan_install(facts, K, PlanRequest(**kw)).plan


def test_pip_config_file_and_variables_resolve_in_pips_order(tmp_path):
    conf = _conf(tmp_path / "pip.conf", "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n"
                                        "extra-index-url = https://a.example/simple\n  https://b.example/simple\n")
    cfg = _read(tmp_path, {"PIP_CONFIG_FILE": str(conf), "PIP_EXTRA_INDEX_URL": "https://c.example/simple"})
    got = [(s.key, s.value, s.origin) for s in cfg.settings if s.tool == "pip"]
    assert ("index-url", "https://pypi.tuna.tsinghua.edu.cn/simple", f"{conf} [global]") in got
    # a variable replaces the file's list (pip's override order), it does not add to it
    assert [v for k, v, _ in got if k == "extra-index-url"] == ["https://c.example/simple"]


def test_the_user_file_is_skipped_when_pip_config_file_names_a_file_and_devnull_skips_all(tmp_path):
    user = _conf(tmp_path / "home" / ".config" / "pip" / "pip.conf", "[global]\nindex-url = https://user.example/s\n")
    assert [s.value for s in _read(tmp_path, {}).settings] == ["https://user.example/s"]
    other = _conf(tmp_path / "other.conf", "[install]\nfind-links = /wheels\n")
    assert [(s.key, s.kind) for s in _read(tmp_path, {"PIP_CONFIG_FILE": str(other)}).settings] == [("find-links", "file")]
    assert _read(tmp_path, {"PIP_CONFIG_FILE": os.devnull}).settings == ()
    assert user.exists()


def test_site_config_of_the_target_prefix(tmp_path):
    env_dir = tmp_path / "venv"
    _conf(env_dir / "pip.conf", "[global]\nno-index = true\n")
    cfg = _read(tmp_path, {}, prefix=target_prefix(str(env_dir / "bin" / "python")))
    assert [(s.key, s.kind) for s in cfg.settings] == [("no-index", "site")]


def test_windows_locations(tmp_path):
    names = [p for _, p in pip_config_files("windows", "C:\\env", {"APPDATA": "C:\\U\\AppData\\Roaming"}, "C:\\U")]
    assert any(p.endswith(os.path.join("pip", "pip.ini")) and "Roaming" in p for p in names)
    assert names[-1] == os.path.join("C:\\env", "pip.ini")


def test_credentials_are_masked_and_home_is_tilde(tmp_path):
    cfg = _read(tmp_path, {"PIP_INDEX_URL": "https://alice:s3cret@pypi.corp.example/simple",
                           "UV_EXTRA_INDEX_URL": "https://token@x.example/simple"})
    shown = " ".join(s.value for s in cfg.settings)
    assert "s3cret" not in shown and "alice" not in shown and "token@" not in shown
    assert "https://***@pypi.corp.example/simple" in shown


def test_a_constraint_file_that_pins_torch(tmp_path):
    cons = _conf(tmp_path / "constraints.txt", "numpy<2\ntorch==2.3.1\n")
    cfg = _read(tmp_path, {"PIP_CONSTRAINT": str(cons)})
    (s,) = cfg.settings
    assert s.key == "constraint" and s.torch_pin == "torch==2.3.1"
    found = overrides(cfg, _plan())
    assert found and "2.3.1" in found[0].why


def test_uv_toml_and_variables(tmp_path):
    _conf(tmp_path / "home" / ".config" / "uv" / "uv.toml",
          '[[index]]\nurl = "https://download.pytorch.org/whl/cpu"\n\n[pip]\nextra-index-url = ["https://e.example/simple"]\n')
    cfg = _read(tmp_path, {"UV_DEFAULT_INDEX": "https://pypi.tuna.tsinghua.edu.cn/simple",
                           "UV_INDEX": "cu126=https://download.pytorch.org/whl/cu126"})
    got = {(s.key, s.value, s.kind) for s in cfg.settings if s.tool == "uv"}
    assert ("extra-index-url", "https://download.pytorch.org/whl/cpu", "user") in got
    assert ("extra-index-url", "https://e.example/simple", "user") in got
    assert ("default-index", "https://pypi.tuna.tsinghua.edu.cn/simple", "env") in got
    assert ("extra-index-url", "https://download.pytorch.org/whl/cu126", "env") in got


def test_a_pypi_mirror_as_index_on_windows_nvidia_is_reported_and_the_printed_command_overrides_it(tmp_path):
    conf = _conf(tmp_path / "pip.ini", "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n")
    cfg = _read(tmp_path, {"PIP_CONFIG_FILE": str(conf)}, os_name="windows")
    plan = _plan()
    f = finding_for(cfg, plan, "windows", "pip")
    assert f is not None and f.id == "pip.index_overrides" and f.severity == "warning"
    assert "PyPI mirror" in f.message and "CPU build on Windows" in f.message
    assert f.fix.commands == (plan.command,)  # its own --index-url wins: unchanged, and said so
    assert "overrides" in f.fix.summary


def test_an_extra_index_gets_a_command_that_drops_it_and_says_so(tmp_path):
    cfg = _read(tmp_path, {"PIP_EXTRA_INDEX_URL": "https://download.pytorch.org/whl/cpu"})
    plan = _plan(described(py="3.12", driver="580.65.06", gpus=(nv((8, 6)),)))
    f = finding_for(cfg, plan, "linux", "pip")
    assert "can win" in f.message and "PIP_EXTRA_INDEX_URL" in f.fix.summary
    assert argv_of(f.fix.commands[-1])[:3] == ["env", "-u", "PIP_EXTRA_INDEX_URL"]
    win = holding_command(plan, overrides(cfg, plan, "pip"), "windows")
    assert "--isolated" in argv_of(win[-1])


def test_the_plans_own_index_as_extra_is_not_an_override(tmp_path):
    plan = _plan()
    cfg = _read(tmp_path, {"PIP_EXTRA_INDEX_URL": plan.index_url})
    assert overrides(cfg, plan, "pip") == []


def test_a_known_wrong_mirror_url_in_the_config(tmp_path):
    cfg = _read(tmp_path, {"PIP_EXTRA_INDEX_URL": "https://mirrors.tuna.tsinghua.edu.cn/pytorch-wheels/cu126"})
    f = finding_for(cfg, _plan(), "windows", "pip")
    assert "no PyTorch wheels" in f.message and "--mirror nju" in f.message


def test_the_check_runs_on_live_facts_and_skips_a_recorded_machine(tmp_path):
    cfg = _read(tmp_path, {"PIP_INDEX_URL": "https://pypi.tuna.tsinghua.edu.cn/simple"}, os_name="windows")
    facts = machine(platform=PlatformFacts("windows", "x86_64"), nvidia=NvidiaFacts(driver="580.88"),
                    gpus=(Gpu(vendor="nvidia", capability=(8, 6)),), index_config=cfg)
    assert judge(facts)["pip.index_overrides"].severity == "warning"
    assert judge(machine(index_config=IndexConfig()))["pip.index_overrides"].severity == "ok"
    recorded = machine(index_config=None).with_(origin="json:x")
    assert judge(recorded)["pip.index_overrides"].severity == "skipped"
