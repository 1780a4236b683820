"""Fake `srun`, `pdsh` and `ssh` on PATH that behave as the real ones do, each node a local run.

Every node runs the command it was given, plus `--from <a recorded machine>` (the node's machine), so
groups and outliers come from the repo's real recorded reports. What each node is and does comes from
FAKE_FLEET (JSON: {host: {"from": path, "do": "ok" | "silent" | "exit255" | "hang"}}):

- srun: `--nodes=N [--nodelist=HOSTS] --label --time=MIN`: task i runs on the i-th host with
  SLURMD_NODENAME; every line gets `i: `; a task that exits non-zero gets `srun: error: HOST: task i:
  Exited with exit code N` on stderr; `--time` is enforced (FAKE_SECONDS_PER_MINUTE seconds a minute),
  with srun's `CANCELLED ... DUE TO TIME LIMIT` and `task i: Killed`; srun exits with the highest code.
- pdsh: `-w HOSTS -f N -t S -u S COMMAND`: lines get `HOST: `; a remote exit N prints `pdsh@fakelogin:
  HOST: ssh exited with exit code N`; `-u` kills a hung command with `pdsh@fakelogin: HOST: command timeout`.
- ssh: `-o ... HOST COMMAND`: an unreachable host prints ssh's refusal and exits 255.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

SCRIPT = r'''#!__PYTHON__
import json, os, shlex, subprocess, sys, threading, time

ME = os.path.basename(sys.argv[0])
FLEET = json.loads(os.environ["FAKE_FLEET"])
LOCK = threading.Lock()


def expand(text):
    sys.path.insert(0, os.environ["FAKE_REPO"])
    from torchdoctor.hostlist import expand as ex
    return ex(text)


def node_run(host, argv, env=None, timeout=None):
    """(exit code or None on timeout, stdout lines, stderr lines) of one node's command."""
    node = FLEET.get(host)
    if node is None or node["do"] == "exit255":
        return 255, [], [f"ssh: connect to host {host} port 22: Connection refused"]
    if node["do"] == "silent":
        return 0, [], []
    if node["do"] == "hang":
        argv = [sys.executable, "-c", "import time; time.sleep(3600)"]
    else:
        argv = list(argv) + ["--from", node["from"]]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        return None, [], []
    return proc.returncode, out.splitlines(), err.splitlines()


def say(stream, lines):
    with LOCK:
        for line in lines:
            stream.write(line + "\n")
        stream.flush()


def srun(args):
    opts, i = {}, 0
    while i < len(args) and args[i].startswith("-"):
        key, _, value = args[i].partition("=")
        opts[key] = value
        i += 1
    command = args[i:]
    hosts = expand(opts["--nodelist"]) if "--nodelist" in opts else list(FLEET)[: int(opts["--nodes"])]
    limit = int(opts.get("--time", "0")) * float(os.environ.get("FAKE_SECONDS_PER_MINUTE", "60")) or None
    codes = []

    def task(rank, host):
        code, out, err = node_run(host, command, {"SLURMD_NODENAME": host, "SLURM_NODEID": str(rank),
                                                  "SLURM_PROCID": str(rank)}, limit)
        say(sys.stdout, [f"{rank}: {line}" for line in out])
        say(sys.stderr, [f"{rank}: {line}" for line in err])
        if code is None:
            say(sys.stderr, [f"srun: error: *** STEP 4242.0 ON {host} CANCELLED AT 2026-12-08T01:00:00 DUE TO TIME LIMIT ***",
                             f"srun: error: {host}: task {rank}: Killed"])
            code = 137
        elif code:
            say(sys.stderr, [f"srun: error: {host}: task {rank}: Exited with exit code {code}"])
        codes.append(code)

    threads = [threading.Thread(target=task, args=(r, h)) for r, h in enumerate(hosts)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return max(codes or [0])


def pdsh(args):
    opts, i = {}, 0
    while i < len(args) and args[i].startswith("-"):
        opts[args[i]] = args[i + 1]
        i += 2
    command = shlex.split(" ".join(args[i:]))
    hosts = expand(opts["-w"])
    limit = float(opts["-u"]) if "-u" in opts else None
    sem = threading.Semaphore(int(opts.get("-f", "32")))

    def one(host):
        with sem:
            code, out, err = node_run(host, command, timeout=limit)
        say(sys.stdout, [f"{host}: {line}" for line in out])
        say(sys.stderr, [f"{host}: {line}" for line in err])
        if code is None:
            say(sys.stderr, [f"pdsh@fakelogin: {host}: command timeout"])
        elif code:
            say(sys.stderr, [f"pdsh@fakelogin: {host}: ssh exited with exit code {code}"])

    threads = [threading.Thread(target=one, args=(h,)) for h in hosts]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return 0


def ssh(args):
    i = 0
    while args[i].startswith("-"):
        i += 2 if args[i] in ("-o", "-p", "-i", "-l") else 1
    host, command = args[i], shlex.split(" ".join(args[i + 1:]))
    code, out, err = node_run(host, command)
    say(sys.stdout, out)
    say(sys.stderr, err)
    return code


sys.exit({"srun": srun, "pdsh": pdsh, "ssh": ssh}[ME](sys.argv[1:]))
'''


def install(bin_dir: Path) -> Path:
    """Write the three fakes into bin_dir (put it first on PATH, and set FAKE_FLEET and FAKE_REPO)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    text = SCRIPT.replace("__PYTHON__", sys.executable)
    for name in ("srun", "pdsh", "ssh"):
        path = bin_dir / name
        path.write_text(text, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bin_dir


def environ(bin_dir: Path, fleet: dict, repo: Path, seconds_per_minute: float = 60.0) -> dict[str, str]:
    import json

    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["FAKE_FLEET"] = json.dumps(fleet)
    env["FAKE_REPO"] = str(repo)
    env["FAKE_SECONDS_PER_MINUTE"] = str(seconds_per_minute)
    for key in ("SLURMD_NODENAME", "SLURM_TOPOLOGY_ADDR", "NODE_NAME", "K8S_NODE_NAME", "KUBERNETES_NODE_NAME"):
        env.pop(key, None)
    return env
