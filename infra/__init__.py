"""Stacks of the reference application."""
