"""Work items owed to a citizen after a call: call-back requests, voicemails, return calls."""
