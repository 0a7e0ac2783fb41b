"""Outbound calling: routing of outside numbers (trunk groups, hunting) and campaigns."""
