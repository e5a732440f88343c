"""Placeholder."""
def explain(timeline, team):
    return []
