"""Satisfaction surveys: ratings (by phone or SMS) and the SMS survey after a call."""
