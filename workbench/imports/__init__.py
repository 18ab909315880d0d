"""Import from the browser: dump files, a .zip of them, or a native export, through the same
services as `workbench import` (corpus.services.import_paths, exports.importer.import_native)."""
