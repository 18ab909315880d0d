"""Operations: consistent backups of a running workbench and restores into an empty database."""
