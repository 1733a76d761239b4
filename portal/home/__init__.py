"""Each role's landing page."""
