"""Claims anchored to spans of posts and comments, with sources and verdicts."""
