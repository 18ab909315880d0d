"""Search and suggestions (issue 8): full-text search, check-worthy sentences, the same claim elsewhere."""
