"""morale: a simulator of wartime manpower, morale, coercion and society."""
