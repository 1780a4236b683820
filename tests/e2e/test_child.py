import sys
import textwrap

from torchdoctor.child import run_script


def _script(tmp_path, body):
    p = tmp_path / "c.py"
    p.write_text("import sys\nsys.path.insert(0, %r)\nfrom torchdoctor.patient.answer import answer\n" % str(
        __import__("pathlib").Path(__file__).resolve().parents[2]) + textwrap.dedent(body))
    return p


def test_answer_is_read_among_noise(tmp_path):
    r = run_script(_script(tmp_path, "print('noise'); answer({'x': 1}); print('more')"), timeout=30)
    assert r.status == "ok" and r.data == {"x": 1}
    assert "noise" in r.stdout and "more" in r.stdout


def test_timeout_is_a_status(tmp_path):
    r = run_script(_script(tmp_path, "import time; time.sleep(30)"), timeout=1)
    assert r.status == "timeout" and r.data is None and r.seconds < 10


def test_nonzero_exit_keeps_partial_answer(tmp_path):
    r = run_script(_script(tmp_path, "answer({'stage': 'import'}); sys.exit(3)"), timeout=30)
    assert r.status == "failed" and r.data == {"stage": "import"} and r.returncode == 3


def test_signal_is_a_crash(tmp_path):
    if sys.platform == "win32":
        return
    r = run_script(_script(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"), timeout=30)
    assert r.status == "crashed" and r.signal == 11


def test_missing_interpreter(tmp_path):
    r = run_script(tmp_path / "x.py", python=str(tmp_path / "nope" / "python"), timeout=5)
    assert r.status == "not_started" and "not found" in r.detail
