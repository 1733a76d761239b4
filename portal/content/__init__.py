"""Course content files: loading, validation, Markdown rendering and sanitising."""
