"""The archive: article files, where they go, which items are new, and the index."""
