"""Getting feed documents: HTTP(S) with httpx, and file URLs read from disk."""
