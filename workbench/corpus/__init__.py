"""The blog corpus: posts and their threaded comments, parsed from dump files."""
