"""Mijn contactpersonen: the directory, role changes, access requests, the audit log."""
