"""stratlang: strategy maps and playbooks as checked, compiled text."""
