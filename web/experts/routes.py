"""Views of the experts blueprint."""
