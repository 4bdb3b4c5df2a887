"""The progress read model: figures for the coordinator's dashboard, the municipality page, exports and the API.

Every figure is computed by aggregate SQL over the user's access scope (``scope.py``) and comes out as typed
rows (frozen dataclasses); nothing here writes.
"""
