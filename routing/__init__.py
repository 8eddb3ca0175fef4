"""Regions, rota, Redis queues and agent state, the matching policy, the router process."""
