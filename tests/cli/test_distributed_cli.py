"""`smoke --distributed` options: what can never work is a usage error (exit 2) before anything runs."""

import pytest

from torchdoctor.requests import distributed_options as validate
from torchdoctor.errors import UsageError


def _main(args, capsys):
    from torchdoctor.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(args)
    return exit_.value.code, capsys.readouterr()


@pytest.mark.parametrize("args, words", [
    (["--backend", "nccl", "--device", "cpu"], "nccl runs on GPUs only"),
    (["--nproc", "0"], "at least one rank"),
    (["--nproc", "-3"], "at least one rank"),
    (["--device", "cuda:1"], "one rank per GPU"),
    (["--device", "mps"], "not supported with --distributed"),
    (["--device", "tpu"], "not supported with --distributed"),
    (["--backend", "mpi"], "use gloo or nccl"),
    (["--timeout", "0"], "positive number of seconds"),
    (["--epochs", "0"], "at least one epoch"),
    (["--nnodes", "2"], "needs --rdzv-endpoint HOST:PORT"),
    (["--nnodes", "2", "--rdzv-endpoint", "127.0.0.1:29500"], "needs --node-rank K"),
    (["--nnodes", "2", "--node-rank", "2", "--rdzv-endpoint", "127.0.0.1:29500"], "from 0 to 1"),
    (["--nnodes", "2", "--node-rank", "-1", "--rdzv-endpoint", "127.0.0.1:29500"], "from 0 to 1"),
    (["--nnodes", "0", "--rdzv-endpoint", "127.0.0.1:29500"], "at least one node"),
    (["--nnodes", "2", "--node-rank", "0", "--rdzv-endpoint", "127.0.0.1"], "expected HOST:PORT"),
    (["--nnodes", "2", "--node-rank", "0", "--rdzv-endpoint", "host:99999"], "expected HOST:PORT"),
    (["--nnodes", "2", "--node-rank", "0", "--rdzv-endpoint", "a\nb:1"], "newline"),
    (["--node-rank", "1"], "add --nnodes N"),
    (["--rdzv-endpoint", "127.0.0.1:29500"], "add --nnodes N"),
])
def test_usage_errors_exit_2_with_one_line(args, words, capsys, monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    code, out = _main(["smoke", "--distributed", *args], capsys)
    assert code == 2
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("torchdoctor: error:") and words in lines[0]


def test_node_options_need_distributed(capsys):
    code, out = _main(["smoke", "--nnodes", "2", "--node-rank", "0", "--rdzv-endpoint", "h:1"], capsys)
    assert code == 2 and "need --distributed" in out.err and out.out == ""


def test_nnodes_inside_a_torchrun_rank_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    code, out = _main(["smoke", "--distributed", "--nnodes", "2", "--node-rank", "0", "--rdzv-endpoint", "h:1"],
                      capsys)
    assert code == 2 and "drop --nnodes here" in out.err


def test_defaults_and_implied_device():
    assert validate("all", None, None, 120, 100) == ("all", None)
    assert validate("CPU", "GLOO", 2, 120, 100) == ("cpu", "gloo")
    assert validate("all", "nccl", None, 120, 100) == ("cuda", "nccl")  # nccl means GPUs
    with pytest.raises(UsageError):
        validate("cpu", "nccl", None, 120, 100)
