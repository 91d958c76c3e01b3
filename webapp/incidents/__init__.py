"""Incidents: the list, the form, the detail page with reactions."""
