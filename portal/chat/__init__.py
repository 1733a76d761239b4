"""Simulated-chat exams: scripted customers, the conversation engine and explained scoring.

The pure core (scenario definitions, normalisation, matchers, file reading, engine,
scoring) is described in docs/chat-architecture.md; the file format in
docs/chat-scenario-format.md.
"""
