"""KPI reports: SQL tallies mirroring hotline/kpi.py, periods, CSV, spot-checks, staffing data."""
