"""Node programs the tests run: deliberately broken counters and misbehaving nodes."""
