"""Accounts and permissions: people, API keys, roles and scopes, sign-in and rate limits."""
