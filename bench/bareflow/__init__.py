"""Bare viewflow: the anchor of bench/decisions.py.

A minimal approval flow built only from viewflow's own parts (a Process proxy with two
jsonstore fields, viewflow's UpdateProcessView form, its FlowViewset pages) — none of
govmedia's code paths. Installed only by the benchmark settings (bench/settings.py)."""
