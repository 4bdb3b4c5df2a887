"""Views of the matches blueprint."""
