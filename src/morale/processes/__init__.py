"""One module per process of the weekly schedule (DESIGN s.4); each exposes `step(state, ctx)`."""
