"""preview's edges through the real CLI: what it cannot read is one line and exit 2, and it never runs pip
for it; a package pip cannot find is exit 1 with pip's words (a local index that has nothing)."""

from __future__ import annotations

import json

from helpers.fake_envs import doctor, doctor_env
from helpers.local_index import closed_port_base, user_pip_env


def test_what_preview_cannot_read_is_exit_2():
    for args in (["preview"], ["preview", "--", "ls", "-l"], ["preview", "--", "pip", "install"],
                 ["preview", "--", "pip", "install", "--target", "/tmp/x", "numpy"],
                 ["preview", "--", "conda", "install", "pytorch"]):
        res = doctor(args, doctor_env(), timeout=60)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert res.stderr.count("\n") <= 2 and "Traceback" not in res.stderr


def test_an_unreachable_index_is_the_command_failing(tmp_path):
    env = user_pip_env(PIP_INDEX_URL=closed_port_base() + "/simple/")
    res = doctor(["preview", "--json", "--timeout", "60", "--", "pip", "install", "no-such-package-td23"], env,
                 cwd=tmp_path, timeout=120)
    out = json.loads(res.stdout)
    assert res.returncode == 1
    assert [f["id"] for f in out["findings"]] == ["preview.command_failed"]
    assert out["would_install"] == [] and out["dry_run"]["ok"] is False
