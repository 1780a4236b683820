"""`torchdoctor smoke --distributed`: data-parallel training on torch.distributed.

launch.py   starts N local ranks through `python -m torch.distributed.run`, or joins a
            group a user's own torchrun set up (RANK/WORLD_SIZE in the environment)
logs.py     reads the launcher's text output: failed ranks, NCCL warnings, rendezvous errors (pure)
outcome.py  what the launcher saw (the input of torchdoctor/verdicts/distributed.py, which judges it)

The code that runs inside the target interpreter is patient code (torchdoctor/patient/):
distributed_worker.py is one rank (runs under torch's launcher), distributed_preflight.py
says which torch this is and whether torch.distributed / NCCL / CUDA are there, and
rank_results.py names where a rank's result goes.

How results come back: every rank writes `rank-<RANK>.json` into the directory named by
TORCHDOCTOR_DIST_RESULTS, atomically (write, then rename) and again after every stage, so a
rank that crashes still leaves the stage it reached. When joining a multi-node group (no
shared directory), the ranks also all_gather their results at the end and write
`all-ranks.json`, so rank 0 can report the whole group.
"""
