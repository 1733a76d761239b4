"""Journeys through the portal in a real Chromium (Playwright), against a live server."""
