"""`torchdoctor smoke --distributed`: data-parallel training on torch.distributed.

worker.py   one rank (runs under torch's launcher; the only module here that imports torch)
preflight.py  a child script: which torch, is torch.distributed / NCCL / CUDA there
launch.py   starts N local ranks through `python -m torch.distributed.run`, or joins a
            group a user's own torchrun set up (RANK/WORLD_SIZE in the environment)
logs.py     reads the launcher's text output: failed ranks, NCCL warnings, rendezvous errors (pure)
outcome.py  what the launcher saw (the input of torchdoctor/verdicts/distributed.py, which judges it)

How results come back: every rank writes `rank-<RANK>.json` into the directory named by
TORCHDOCTOR_DIST_RESULTS, atomically (write, then rename) and again after every stage, so a
rank that crashes still leaves the stage it reached. When joining a multi-node group (no
shared directory), the ranks also all_gather their results at the end and write
`all-ranks.json`, so rank 0 can report the whole group.
"""

RESULTS_ENV = "TORCHDOCTOR_DIST_RESULTS"
GATHER_ENV = "TORCHDOCTOR_DIST_GATHER"
# Test-only hook: the rank with this number exits (status 3) right after the group forms,
# to prove the others do not hang. Never set it outside the test suite.
CRASH_ENV = "TORCHDOCTOR_TEST_CRASH_RANK"
GATHERED_FILE = "all-ranks.json"


def rank_file(rank: int) -> str:
    return f"rank-{int(rank):05d}.json"
