"""Simulated-chat exams: scenarios, drills, the engine, attempts and their scores."""
