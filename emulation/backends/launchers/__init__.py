"""Entry scripts run by emulators' own interpreters (their virtualenvs), never imported by ours."""
