"""Getting feed documents: HTTP(S) with urllib3 on a pool of threads (`http`), politely per host
(`hosts`), with our own redirect handling (`redirects`), bounded decoding (`decode`) and the
publisher's caching and retry hints (`hints`); file URLs are read from disk."""
