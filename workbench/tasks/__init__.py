"""Review tasks that leads assign to reviewers."""
