"""Where a distributed rank leaves its result: shared by the worker (in the target) and launch.py.

See torchdoctor/distributed/__init__.py for how results come back.
"""

RESULTS_ENV = "TORCHDOCTOR_DIST_RESULTS"
GATHER_ENV = "TORCHDOCTOR_DIST_GATHER"
# Test-only hook: the rank with this number exits (status 3) right after the group forms,
# to prove the others do not hang. Never set it outside the test suite.
CRASH_ENV = "TORCHDOCTOR_TEST_CRASH_RANK"
GATHERED_FILE = "all-ranks.json"


def rank_file(rank):
    return "rank-%05d.json" % int(rank)
