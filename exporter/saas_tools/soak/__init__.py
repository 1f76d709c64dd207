"""The soak: see __main__."""
