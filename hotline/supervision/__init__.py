"""The supervisors' features: live view, actions, alerts, KPIs, reports, staffing, follow-ups."""
