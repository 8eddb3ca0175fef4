"""Test harness: a fake Twilio REST API and a TwiML-following test caller."""
