"""Settings, errors and the small frozen types that move between stages: imports nothing else of ours."""
