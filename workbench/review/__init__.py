"""Team review: dispute flags, discussion, adjudication and agreement."""
