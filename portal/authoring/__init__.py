"""Trainers editing course modules in the browser: editor, live preview, version history."""
