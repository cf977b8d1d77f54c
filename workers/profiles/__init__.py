"""Personalization: streaming user profiles, recommendations and personalized requests.

Only ``app.py`` touches faust; everything else is plain typed functions over plain
(JSON-serializable) dicts, so unit tests, the offline eval and the benchmark call the same
code the worker runs.
"""
