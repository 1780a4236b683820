"""`torchdoctor smoke`: prove the install trains.

workloads.py runs inside a child interpreter per device (child.py is that script);
verdict.py judges the answers (pure); devices.py finds which devices exist.
"""
