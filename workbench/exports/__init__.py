"""Exports of the annotated corpus (native JSON Lines, W3C Web Annotation, ClaimReview, CSV) and the native import."""
