"""The maximum of submitters: the nightly recalculation, its scheduler, the CSV imports."""
