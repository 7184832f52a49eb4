"""Private helpers shared by every layer: where files live, argument checks."""
