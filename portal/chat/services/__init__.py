"""Chat services (session + now, no Flask): imports, attempts, phrases (review: chat-staff)."""
