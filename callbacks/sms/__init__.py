"""SMS: the outbox and its rules, sending, delivery status, inbound replies, follow-up texts."""
