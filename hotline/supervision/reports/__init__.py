"""KPI reports: SQL tallies mirroring supervision/kpi.py, periods, CSV, spot-checks, staffing."""
