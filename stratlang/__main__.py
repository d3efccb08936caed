"""`python -m stratlang ARGS`: the same as `stratlang ARGS`."""

from stratlang.cli import run

if __name__ == "__main__":
    run()
