"""Trainers managing question banks in the browser: import, browse, export and edit."""
