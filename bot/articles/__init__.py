"""Articles: fetching a page safely (SSRF guard, size and time limits) and reading its text and metadata."""
