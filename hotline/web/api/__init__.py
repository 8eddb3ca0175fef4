"""The JSON API under /api/ for agents, supervisors and the pages (see blueprint.py)."""
