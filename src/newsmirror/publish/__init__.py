"""What readers see besides the articles: list pages, the README, and the git commit."""
