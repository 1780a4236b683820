"""Judges of runs: smoke's per-device verdicts and the distributed group's. Pure functions of what a run
reported (plus knowledge) that return findings; no subprocess, no printing."""
