"""Passages -> the answer a person reads: extractive composition and the Assistant facade."""
