"""Offline evaluation of the generators on the held-out set (``copyflow eval``)."""
