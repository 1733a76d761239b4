"""What every assessment domain (written exams, chat exams, observations) shares."""
