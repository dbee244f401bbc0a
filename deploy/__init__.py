"""Deployment helpers; `deploy.local` runs the real stack on a developer machine."""
