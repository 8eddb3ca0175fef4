"""Twilio status callbacks of calls, and callers leaving a Twilio queue."""
