"""``python -m tests.golden``: record the golden fingerprints anew (only for a change meant to change numbers)."""

from tests.golden.record import write_all

if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path}")
