"""The service layer: one builder per command, a validated request in, a report out.

`check_report`, `suggest_report`, `smoke_report`, `distributed_report` and `install_report` never print
and never exit: the CLI (commands/*) and the Python API (api.py) call them and decide how to show the
report. Progress a long operation wants to show goes through a callback the caller passes in.
"""
