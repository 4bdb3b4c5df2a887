"""Views of the issues blueprint."""
