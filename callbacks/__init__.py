"""Twilio status and SMS webhooks, and the RQ jobs they and the console trigger."""
