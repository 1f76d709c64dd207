"""Tools that work on a checkout of the repository: the test stack and the incident drill."""
