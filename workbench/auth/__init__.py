"""Accounts: users, roles, sessions, API tokens and login throttling."""
