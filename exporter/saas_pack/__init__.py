"""The alert-rule pack: render rules/thresholds.yaml into rules, runbooks and tests."""
