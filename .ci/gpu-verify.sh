#!/usr/bin/env bash
# GPU verification for a machine with NVIDIA GPUs and a CUDA build of torch already installed.
# CI never runs this (it has no GPU). Run it by hand on a GPU machine (in this workplace: the
# `device` tool, whose python3 holds torch), then paste the outputs into the closing note.
# Writes at most 8 files to $OUT (default ./gpu-verify-out): one log with every human output,
# the JSON of suggest, check, smoke and smoke --distributed, the loss plot, the fleet lines
# (fleet.jsonl) and, where DCGM is installed, `dcgmi diag -r 1 --json` (dcgmi-diag-r1.json).
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-gpu-verify-out}"
mkdir -p "$OUT"
PY="${PYTHON:-python3}"
LOG="$OUT/gpu-verify.log"
: > "$LOG"

td() {  # td SECONDS ARGS...: torchdoctor from this checkout, under a hard deadline
    PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" timeout "$1" "$PY" -m torchdoctor "${@:2}"
}
human() {  # human SECONDS ARGS...: stdout and stderr into the log, with the exit code
    echo "==== torchdoctor ${*:2}" >> "$LOG"
    td "$@" >> "$LOG" 2>&1
    echo "==== exit $?" >> "$LOG"
}
json() {  # json FILE SECONDS ARGS...: stdout to FILE, stderr and exit code into the log
    echo "==== torchdoctor ${*:3} > $(basename "$1")" >> "$LOG"
    td "${@:2}" > "$1" 2>> "$LOG"
    echo "==== exit $?" >> "$LOG"
}

{ nvidia-smi -L; "$PY" -c "import torch; print(torch.__version__, torch.version.cuda)"; } >> "$LOG" 2>&1
human 30 suggest
human 60 install --dry-run
json "$OUT/suggest.json" 30 suggest --json
human 180 check
json "$OUT/check.json" 180 check -v --json
human 300 smoke --device cuda
json "$OUT/smoke.json" 300 smoke --device cuda --json
# torch.compile on the GPU (Triton, fresh caches) and the stack lines (cuDNN, cuBLAS, TF32, bf16, SDPA, autocast)
human 420 smoke --device cuda --compile
human 120 check --build
human 300 smoke --plot "$OUT/loss.png"
human 300 smoke --distributed --device cuda --nproc 1
json "$OUT/distributed.json" 300 smoke --distributed --device cuda --nproc 1 --json
# The multi-node launch path on one node: c10d rendezvous, endpoint preflight, results gathered over NCCL.
human 300 smoke --distributed --device cuda --nproc 1 --nnodes 1 --node-rank 0 --rdzv-endpoint 127.0.0.1:29511
# Fleets: one line per node (labelled), all-reduce up to 4 GiB, joined by fleet report; NHC's view.
{ td 180 check --json-line --node-label auto
  td 300 smoke --device cuda --json-line --node-label auto
  td 300 smoke --distributed --device cuda --bandwidth-max 4G --json-line --node-label auto; } \
    > "$OUT/fleet.jsonl" 2>> "$LOG"
human 30 fleet report "$OUT/fleet.jsonl" --expect 1
human 60 check --format nhc
if command -v dcgmi > /dev/null; then  # DCGM's level-1 readiness diagnostic, recorded for a replay fake
    timeout 150 dcgmi diag -r 1 --json > "$OUT/dcgmi-diag-r1.json" 2>> "$LOG"
    echo "==== dcgmi diag -r 1 --json: exit $?" >> "$LOG"
else
    echo "==== dcgmi: not installed (no DCGM on this machine)" >> "$LOG"
fi
# Fault paths that only a GPU machine shows for real:
CUDA_VISIBLE_DEVICES="" human 180 check
CUDA_VISIBLE_DEVICES=7 human 180 check
human 120 smoke --device cuda:3
grep -c "^==== exit 0" "$LOG" | sed 's/^/commands that exited 0: /'
grep "^==== " "$LOG"
