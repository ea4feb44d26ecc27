"""HTTP surface besides the Reflex UI: REST API v1, browser sign-in, file routes."""
